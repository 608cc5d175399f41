// Tells ThreadSanitizer that Synchronization.Mutex is a lock, on Linux. Preloaded by
// `make test-tsan` (LD_PRELOAD); never linked into Courier.
//
// Why: Mutex's fast paths (one compare-and-swap to lock, one to unlock) are inlined into our
// code and instrumented, so TSan sees their acquire and release. Its slow paths are not:
// `_lockSlow` (a spin of plain `lock cmpxchg`, then FUTEX_LOCK_PI), `_tryLockSlow`
// (FUTEX_TRYLOCK_PI) and `_unlockSlow` (FUTEX_UNLOCK_PI) live in the uninstrumented
// libswiftSynchronization.so, and under contention the kernel hands the lock from owner to
// waiter without the word ever passing through an instrumented atomic. Every time a Mutex is
// contended, TSan then misses the happens-before edge and reports a "Swift access race" on the
// state inside `withLock`, with both accesses under the lock. Reproduced with nothing of ours:
// two threads doing `withLock { $0 += 1 }` on a Mutex<Int> report races and still total
// exactly 2n (Swift 6.3.1; see scripts/sanitizers/README.md).
//
// How: these functions take the place of the three slow paths (same mangled names, same Swift
// calling convention: the handle's address in the self register), call the real ones, and
// annotate the lock word's address the way TSan's own pthread interceptors would: release
// before handing the lock over, acquire once it is held. The fast paths already use that
// address for their instrumented atomics, so both paths meet in one TSan sync object.
// Outside a TSan process the annotations are weak and absent, and the wrappers only forward.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

void __tsan_acquire(void *address) __attribute__((weak));
void __tsan_release(void *address) __attribute__((weak));

#define SWIFTCALL __attribute__((swiftcall))
#define SELF __attribute__((swift_context))
#define EXPORT __attribute__((visibility("default")))

#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define TRY_LOCK_SLOW "$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

typedef SWIFTCALL void (*LockSlow)(uint32_t threadID, void *SELF handle);
typedef SWIFTCALL bool (*TryLockSlow)(void *SELF handle);
typedef SWIFTCALL void (*UnlockSlow)(void *SELF handle);

static void *real(const char *name, void **cache) {
    void *function = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (function == NULL) {
        function = dlsym(RTLD_NEXT, name);
        if (function == NULL) {
            fprintf(stderr, "tsan-mutex: %s not found; is libswiftSynchronization loaded?\n", name);
            abort();
        }
        __atomic_store_n(cache, function, __ATOMIC_RELEASE);
    }
    return function;
}

EXPORT SWIFTCALL void lockSlow(uint32_t threadID, void *SELF handle) __asm__(LOCK_SLOW);
EXPORT SWIFTCALL void lockSlow(uint32_t threadID, void *SELF handle) {
    static void *cache;
    ((LockSlow)real(LOCK_SLOW, &cache))(threadID, handle);
    if (__tsan_acquire) __tsan_acquire(handle);
}

EXPORT SWIFTCALL bool tryLockSlow(void *SELF handle) __asm__(TRY_LOCK_SLOW);
EXPORT SWIFTCALL bool tryLockSlow(void *SELF handle) {
    static void *cache;
    bool locked = ((TryLockSlow)real(TRY_LOCK_SLOW, &cache))(handle);
    if (locked && __tsan_acquire) __tsan_acquire(handle);
    return locked;
}

EXPORT SWIFTCALL void unlockSlow(void *SELF handle) __asm__(UNLOCK_SLOW);
EXPORT SWIFTCALL void unlockSlow(void *SELF handle) {
    static void *cache;
    if (__tsan_release) __tsan_release(handle);
    ((UnlockSlow)real(UNLOCK_SLOW, &cache))(handle);
}
