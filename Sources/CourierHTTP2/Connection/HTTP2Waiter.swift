import CourierCore
import CourierTransport

/// A task waiting for the connection's state to change: resumed once, without an error to look
/// at the state again, or with `ReactorError.timedOut` at its deadline or `CancellationError`.
struct HTTP2Waiter: Sendable {
    let id: UInt64
    let continuation: UnsafeContinuation<Void, any Error>
    let deadline: ContinuousClock.Instant?
}

/// Where a waiter waits.
enum HTTP2WaitSlot: Hashable, Sendable {
    /// For a response head, body data or the end of a stream.
    case read(UInt32)
    /// For flow-control window or room in the outbound queue on a stream.
    case write(UInt32)
    /// For the server's concurrency limit to allow one more stream.
    case stream
    /// For the server's first SETTINGS.
    case settings
}

/// What a state transition asks of the connection once its lock is released: waiters to
/// resume, the writer and the timer task to wake, events for the pool, the socket to close.
struct HTTP2Effects {
    var resumes: [(HTTP2Waiter, (any Error)?)] = []
    var writer: UnsafeContinuation<Void, Never>?
    var housekeeper: UnsafeContinuation<Void, Never>?
    var events: [HTTP2ConnectionEvent] = []

    /// `error` is made only when there is a waiter: boxing it as `any Error` allocates.
    mutating func resume(_ waiter: HTTP2Waiter?, throwing error: @autoclosure () -> (any Error)? = nil) {
        if let waiter { resumes.append((waiter, error())) }
    }

    var isEmpty: Bool { resumes.isEmpty && writer == nil && housekeeper == nil && events.isEmpty }
}

/// Counts cheap frames a peer can send in bulk to keep a connection busy (RFC 9113 §10.5).
struct HTTP2FloodGuard {
    let limit: Int
    let window: Duration
    private var windowStart: ContinuousClock.Instant?
    private var count = 0

    init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Counts one frame; false once more than `limit` came in one window.
    mutating func admit(now: ContinuousClock.Instant) -> Bool {
        if let start = windowStart, now - start < window {
            count += 1
        } else {
            windowStart = now
            count = 1
        }
        return count <= limit
    }
}
