// What Swift cannot reach through Glibc's module: epoll and eventfd are not exported, and the
// GNU extensions below are hidden because the module is built without _GNU_SOURCE. They are
// declared here with their glibc types spelled out, so this header pulls in no socket headers.
#ifndef C_COURIER_SYSTEM_H
#define C_COURIER_SYSTEM_H

#include <spawn.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/types.h>

struct sockaddr;
extern int accept4(int fd, struct sockaddr *address, unsigned int *length, int flags);
extern int pthread_setname_np(unsigned long thread, const char *name);

// For the programs CourierTestServer's users start beside their tests (glibc 2.34 and 2.36).
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
extern int pidfd_open(pid_t pid, unsigned int flags);

#endif
