import Dispatch
import Synchronization

/// A few dedicated threads for calls that block: `getaddrinfo`, file reads, the cache's files.
///
/// Neither the reactor nor the cooperative pool (two threads on a two-core machine) may block,
/// so such work is queued here and its caller suspends on a continuation until it finishes.
///
/// It lives in Core because both Transport (DNS, TLS trust stores, file bodies) and Cache use
/// it, and Cache must not depend on Transport. Core cannot reach pthreads, so each worker is a
/// Dispatch serial queue whose one job is the worker's endless loop: a queue of our own targets
/// libdispatch's overcommit root queue, which hands that job a thread of its own (never one of
/// the cooperative pool's), and since the job never returns the thread stays the pool's.
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

    /// Like `run`, but a cancelled caller resumes at once with `CancellationError` while `body`
    /// runs to its end on the pool thread and its result is dropped. For work that cannot be
    /// interrupted and holds nothing that needs releasing (`getaddrinfo`), so that a slow
    /// resolver never holds a cancelled or timed-out call.
    package func runAbandoningOnCancel<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        let waiter = AbandonableWaiter<Result>()
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                guard waiter.install(continuation) else { return }
                submit {
                    // A caller that gave up before a thread was free needs no answer.
                    guard !waiter.isResumed else { return }
                    waiter.resume(with: Swift.Result { try body() })
                }
            }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
        }
    }

    /// Queues `work` for a pool thread without waiting for it: for work whose caller is not
    /// suspended on it (the disk cache's journal writer drains its queue this way).
    package func submit(_ work: @escaping @Sendable () -> Void) {
        let startThreads = queue.withLock { queue in
            queue.work.append(work)
            defer { queue.started = true }
            return !queue.started
        }
        if startThreads {
            for index in 0..<threadCount {
                DispatchQueue(label: "courier-block-\(index)").async { [self] in workLoop() }
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

/// The continuation of a caller that may stop waiting: whichever of the work's result and the
/// caller's cancellation comes first resumes it, exactly once; the lock makes it `Sendable`.
private final class AbandonableWaiter<Result: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(UnsafeContinuation<Result, any Error>)
        case cancelledBeforeWaiting
        case resumed
    }

    private let state = Mutex(State.idle)

    /// Stores the continuation; false (after resuming it with `CancellationError`) if the caller
    /// was cancelled before it got here, in which case the work need not start.
    func install(_ continuation: UnsafeContinuation<Result, any Error>) -> Bool {
        let cancelled = state.withLock { state in
            guard case .cancelledBeforeWaiting = state else {
                state = .waiting(continuation)
                return false
            }
            state = .resumed
            return true
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    /// Whether the caller has been answered (or has given up).
    var isResumed: Bool {
        state.withLock { state in
            if case .resumed = state { return true }
            return false
        }
    }

    func resume(with result: Swift.Result<Result, any Error>) {
        let continuation = state.withLock { state -> UnsafeContinuation<Result, any Error>? in
            switch state {
            case .waiting(let continuation):
                state = .resumed
                return continuation
            case .idle:
                state = .cancelledBeforeWaiting
                return nil
            case .cancelledBeforeWaiting, .resumed:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
