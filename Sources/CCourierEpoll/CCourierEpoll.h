// Glibc's Swift module does not export epoll or eventfd; this header is all the shim is.
#ifndef C_COURIER_EPOLL_H
#define C_COURIER_EPOLL_H

#include <sys/epoll.h>
#include <sys/eventfd.h>

#endif
