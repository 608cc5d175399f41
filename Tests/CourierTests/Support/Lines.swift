import Synchronization

/// Lines written from many tasks, in the order they arrived: traces and log output under test.
final class Lines: Sendable {
    private let lines = Mutex<[String]>([])

    func add(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
    var text: String { all.joined(separator: "\n") }
    /// A sink for `LoggingInterceptor`.
    var sink: @Sendable (String) -> Void { { line in self.add(line) } }
}
