import Glibc

/// The process entry: libFuzzer's driver in a fuzzing build, the replay tool otherwise.
///
/// Both need a `main` of ours: SwiftPM links an executable's entry point under the name
/// `CourierFuzz_main` and aliases `main` to it, so libFuzzer's own `main` never enters the link
/// and the driver has to be started from here (`LLVMFuzzerRunDriver`).
@main
enum Main {
    static func main() {
        #if FUZZING
            LibFuzzer.run()
        #else
            Replay.run(Array(CommandLine.arguments.dropFirst()))
        #endif
    }
}
