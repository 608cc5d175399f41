#if !FUZZING
    import FoundationEssentials
    import Glibc

    /// Without `-DFUZZING` (a plain `swift build`), CourierFuzz replays saved inputs, such as a crash
    /// that `scripts/fuzz.sh` kept or a whole seed folder, through one target, in an ordinary build
    /// where a debugger and ordinary stack traces work:
    ///
    ///     swift run CourierFuzz <target> <file or folder>...
    enum Replay {
        static func run(_ arguments: [String]) {
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                print("usage: CourierFuzz <target> <file or folder>...\ntargets: \(FuzzTarget.names)")
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                for file in files(at: path) {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        print("cannot read \(file)")
                        exit(1)
                    }
                    print("\(target.rawValue) \(file) (\(data.count) bytes)")
                    data.withUnsafeBytes { target.run($0) }
                    count += 1
                }
            }
            print("\(count) inputs ran through \(target.rawValue) without a failure.")
        }

        /// The files of a folder, sorted, or the path itself.
        private static func files(at path: String) -> [String] {
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory else {
                return [path]
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
        }
    }
#endif
