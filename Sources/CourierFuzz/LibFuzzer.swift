#if FUZZING
    import CCourierFuzzer
    import Glibc

    /// The target this process fuzzes, from `COURIER_FUZZ_TARGET`, read once: libFuzzer calls the
    /// entry point millions of times and the choice must not change between calls.
    private let selectedTarget: FuzzTarget = {
        guard let name = getenv("COURIER_FUZZ_TARGET").map({ String(cString: $0) }) else {
            fatalError("Set COURIER_FUZZ_TARGET to one of: \(FuzzTarget.names).")
        }
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("Unknown COURIER_FUZZ_TARGET \(name.debugDescription); use one of: \(FuzzTarget.names).")
        }
        return target
    }()

    /// libFuzzer's entry point: one input per call. Exported under its C name as well, so the
    /// binary also works with a libFuzzer that brings its own `main`.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        selectedTarget.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }

    /// Starts libFuzzer with the process's arguments (`-max_total_time=…`, corpus folders, …).
    enum LibFuzzer {
        static func run() -> Never {
            _ = selectedTarget
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput))
        }
    }
#endif
