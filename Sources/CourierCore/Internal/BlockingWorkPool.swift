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
    /// interrupted and holds nothing that needs releasing (`getaddrinfo`, a TLS context), so
    /// that a slow resolver never holds a cancelled or timed-out call.
    package func runAbandoningOnCancel<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        let waiter = AbandonableWaiter<Result>()
        return try await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                guard waiter.install(continuation) else { return }
                submit {
                    // A caller that gave up before a thread was free needs no answer.
                    guard !waiter.isAnswered else { return }
                    waiter.answer(Swift.Result { try body() })
                }
            }
            return try waiter.take().get()
        } onCancel: {
            waiter.answer(.failure(CancellationError()))
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
/// caller's cancellation comes first answers it, exactly once; the lock makes it `Sendable`.
///
/// The answer is kept under the lock and taken from there once the caller runs again, not
/// passed through the continuation: then what the pool thread built (a TLS context's fields)
/// reaches the caller through the lock's release and acquire, an order ThreadSanitizer sees,
/// where a continuation resumed before its task suspended gives it none (swiftlang/swift#57803).
private final class AbandonableWaiter<Result: Sendable>: Sendable {
    private enum State {
        case idle
        case waiting(UnsafeContinuation<Void, Never>)
        case answeredBeforeWaiting(Swift.Result<Result, any Error>)
        case answered(Swift.Result<Result, any Error>)
        case taken
    }

    private let state = Mutex(State.idle)

    /// Stores the continuation; false (after resuming it) if the caller was answered before it
    /// got here — cancelled — in which case the work need not start.
    func install(_ continuation: UnsafeContinuation<Void, Never>) -> Bool {
        let early = state.withLock { state in
            guard case .answeredBeforeWaiting(let answer) = state else {
                state = .waiting(continuation)
                return false
            }
            state = .answered(answer)
            return true
        }
        if early { continuation.resume() }
        return !early
    }

    /// Whether the caller has been answered (or has given up).
    var isAnswered: Bool {
        state.withLock { state in
            switch state {
            case .idle, .waiting: false
            case .answeredBeforeWaiting, .answered, .taken: true
            }
        }
    }

    /// The first answer wins; later ones are dropped.
    func answer(_ result: Swift.Result<Result, any Error>) {
        let continuation = state.withLock { state -> UnsafeContinuation<Void, Never>? in
            switch state {
            case .waiting(let continuation):
                state = .answered(result)
                return continuation
            case .idle:
                state = .answeredBeforeWaiting(result)
                return nil
            case .answeredBeforeWaiting, .answered, .taken:
                return nil
            }
        }
        continuation?.resume()
    }

    /// The answer, once the continuation has been resumed.
    func take() -> Swift.Result<Result, any Error> {
        state.withLock { state in
            guard case .answered(let answer) = state else {
                preconditionFailure("the waiter is taken from only after its answer resumed it")
            }
            state = .taken
            return answer
        }
    }
}
