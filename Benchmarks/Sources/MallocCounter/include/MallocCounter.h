#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

#include <stdint.h>

/// Heap allocations made by the process so far (malloc, calloc, realloc, aligned allocations).
/// Benchmark clients look this symbol up with dlsym when the library is preloaded.
uint64_t bench_allocation_count(void);

#endif
