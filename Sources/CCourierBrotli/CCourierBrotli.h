// The brotli decoder; Swift calls it directly, this header only makes it a module.
#ifndef C_COURIER_BROTLI_H
#define C_COURIER_BROTLI_H

#include <brotli/decode.h>

#endif
