import Dispatch
import Synchronization

/// A few dedicated threads for calls that block: `getaddrinfo`, file reads.
///
/// Neither the reactor nor the cooperative pool (two threads on a two-core machine) may block,
/// so such work is queued here and its caller suspends on a continuation until it finishes.
package final class BlockingWorkPool: Sendable {
    package static let shared = BlockingWorkPool(threads: 2)

    private struct Queue {
        var work: [@Sendable () -> Void] = []
        var started = false
    }

    private let queue = Mutex(Queue())
    private let available = DispatchSemaphore(value: 0)
    private let threadCount: Int

    package init(threads: Int) {
        threadCount = threads
    }

    /// Runs `body` on a pool thread and returns its result to the suspended caller.
    package func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withUnsafeThrowingContinuation { continuation in
            submit {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }

    private func submit(_ work: @escaping @Sendable () -> Void) {
        let startThreads = queue.withLock { queue in
            queue.work.append(work)
            defer { queue.started = true }
            return !queue.started
        }
        if startThreads {
            for index in 0..<threadCount {
                ReactorThread.start(name: "courier-block-\(index)") { [self] in workLoop() }
            }
        }
        available.signal()
    }

    private func workLoop() {
        while true {
            available.wait()
            let work = queue.withLock { $0.work.isEmpty ? nil : $0.work.removeFirst() }
            work?()
        }
    }
}
