// libFuzzer's driver, for CourierFuzz built with -sanitize=fuzzer (scripts/fuzz.sh). SwiftPM
// links an executable's main under the name <Module>_main and aliases `main` to it, which keeps
// libFuzzer's own main out of the link; CourierFuzz's main therefore starts the driver itself.
// Only declared here: the definition comes from the toolchain's libclang_rt.fuzzer, which only
// a -sanitize=fuzzer link pulls in, and a plain build never calls it.
#ifndef C_COURIER_FUZZER_H
#define C_COURIER_FUZZER_H

#include <stddef.h>
#include <stdint.h>

extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
