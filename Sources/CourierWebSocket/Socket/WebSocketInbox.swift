import CourierCore
import Synchronization

/// The messages the reader has received and the consumer has not taken yet, with back-pressure:
/// once more than ``limit`` bytes wait, the reader's `push` suspends — and so stops reading the
/// socket, which lets TCP flow control slow the server down — until the consumer catches up. A
/// message larger than the limit still gets through: the limit only decides when to wait.
///
/// One consumer at a time: a second concurrent `next()` is refused rather than raced.
final class WebSocketInbox: Sendable {
    /// How the stream of messages ends: normally (the peer closed with 1000 or no code), or
    /// with an error.
    enum Ending: Sendable {
        case normal
        case failed(any Error)
    }

    private struct State {
        var messages: [WebSocketMessage] = []
        var head = 0
        var bufferedBytes = 0
        var ending: Ending?
        var consumer: CheckedContinuation<WebSocketMessage?, any Error>?
        var producer: CheckedContinuation<Void, Never>?
        /// The reader, waiting for the consumer to deal with every message so far (see `caughtUp`).
        var catchingUp: CheckedContinuation<Void, Never>?
        /// Our close frame is out: the reader must reach the peer's close frame however far
        /// behind the consumer is, so it no longer waits, and messages past the limit are dropped.
        var draining = false
        /// How many times the reader has waited for the consumer.
        var holds = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Hands `message` to the consumer, waiting while more than ``limit`` bytes are buffered.
    /// After the stream ended (the consumer gave up), the message is dropped.
    func push(_ message: WebSocketMessage) async {
        let wait: Bool = state.withLock { state in
            guard state.ending == nil else { return false }
            if let consumer = state.consumer {
                state.consumer = nil
                consumer.resume(returning: message)
                return false
            }
            if state.draining && state.bufferedBytes >= limit { return false }
            state.messages.append(message)
            state.bufferedBytes += message.byteCount
            return !state.draining && state.bufferedBytes > limit
        }
        guard wait else { return }
        await withCheckedContinuation { continuation in
            let stillOver = state.withLock { state in
                guard state.bufferedBytes > limit, state.ending == nil, !state.draining else { return false }
                state.producer = continuation
                state.holds += 1
                return true
            }
            if !stillOver { continuation.resume() }
        }
    }

    /// Whether the reader waits for the consumer now (past ``limit``, or catching up), reading
    /// nothing meanwhile, pongs included; and how many times it has been held back so far.
    var readerHolds: (now: Bool, count: Int) {
        state.withLock { ($0.producer != nil || $0.catchingUp != nil, $0.holds) }
    }

    /// Our close frame is out: stop holding the reader back (see `State.draining`).
    func drain() {
        let producer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.draining = true
            return state.producer.take()
        }
        producer?.resume()
    }

    /// Returns once the consumer has taken every message so far and asks for the next one — so
    /// it has acted on them: a reply to each is sent — or once the stream has ended, or after
    /// `limit`. The reader waits for this before failing the connection over a bad frame, so that
    /// the messages before it are answered first, as a peer that sent them in one burst expects
    /// (Autobahn grades the opposite NON-STRICT); `limit` bounds the wait for a consumer that is
    /// not reading.
    func caughtUp(within limit: Duration) async {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            self?.stopCatchingUp()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                guard state.ending == nil, state.consumer == nil || state.head < state.messages.count else {
                    return true
                }
                state.catchingUp = continuation
                state.holds += 1
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func stopCatchingUp() {
        state.withLock { $0.catchingUp.take() }?.resume()
    }

    /// Ends the stream; messages already buffered are delivered first. Only the first ending counts.
    func finish(_ ending: Ending) {
        typealias Waiters = (CheckedContinuation<WebSocketMessage?, any Error>?, CheckedContinuation<Void, Never>?)
        let (consumer, producer) = state.withLock { state -> Waiters in
            guard state.ending == nil else { return (nil, nil) }
            state.ending = ending
            return (state.consumer.take(), state.producer.take())
        }
        producer?.resume()
        stopCatchingUp()
        consumer?.resume(with: Self.result(of: ending))
    }

    /// The next message; nil after a normal end, the failure after any other. A consumer whose
    /// task is cancelled runs `onCancel` (which tears the socket down) and throws `CancellationError`.
    func next(onCancel: @escaping @Sendable () -> Void) async throws -> WebSocketMessage? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (outcome, producer) = state.withLock {
                    state -> (Result<WebSocketMessage?, any Error>?, CheckedContinuation<Void, Never>?) in
                    if state.head < state.messages.count {
                        let message = state.messages[state.head]
                        // The taken slot lets go of its payload now: a consumer that never quite
                        // empties the inbox must not keep every message it has read in memory.
                        state.messages[state.head] = .binary([])
                        state.head += 1
                        state.bufferedBytes -= message.byteCount
                        if state.head == state.messages.count {
                            state.messages.removeAll(keepingCapacity: true)
                            state.head = 0
                        } else if state.head > 64 && state.head * 2 > state.messages.count {
                            state.messages.removeFirst(state.head)
                            state.head = 0
                        }
                        let producer = state.bufferedBytes <= limit ? state.producer.take() : nil
                        return (.success(message), producer)
                    }
                    if let ending = state.ending { return (Self.result(of: ending), nil) }
                    if Task.isCancelled { return (.failure(CancellationError()), nil) }
                    guard state.consumer == nil else {
                        return (
                            .failure(
                                HTTPClientError(
                                    .bodyAlreadyConsumed, "WebSocket messages are read by two tasks at once.")), nil
                        )
                    }
                    state.consumer = continuation
                    return (nil, nil)
                }
                if outcome == nil { stopCatchingUp() }
                producer?.resume()
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            onCancel()
        }
    }

    private static func result(of ending: Ending) -> Result<WebSocketMessage?, any Error> {
        switch ending {
        case .normal: .success(nil)
        case .failed(let error): .failure(error)
        }
    }
}

extension WebSocketMessage {
    /// The payload's size, which is what back-pressure counts.
    var byteCount: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }
}
