import CourierCore
import Synchronization

/// Admits one reader of a response body at a time, and lets `abandon` stop a read that is in
/// flight in another task.
///
/// Abandoning must neither close the connection under the reader (its descriptor number could
/// be reused at once) nor touch it once the reader has handed it back to the pool. So the gate
/// interrupts the stream only while the reader is still in its I/O — under the lock that the
/// reader takes to leave its I/O — and otherwise leaves a request that the reader carries out
/// before it lets go.
final class BodyReadGate: Sendable {
    private enum State {
        case idle
        /// A read is doing I/O; `interrupt` may still stop it.
        case inIO(abandonRequested: Bool)
        /// A reader or an abandon holds the body and decides what becomes of the connection.
        case settling(abandonRequested: Bool)
    }

    private let state = Mutex(State.idle)

    /// Enters for a read, or throws `.bodyAlreadyConsumed` if another task holds the body. The
    /// reader holds the body but is not interruptible until `beginIO`.
    func enterRead() throws(HTTPClientError) {
        let entered = state.withLock { state in
            guard case .idle = state else { return false }
            state = .settling(abandonRequested: false)
            return true
        }
        guard entered else {
            throw HTTPClientError(.bodyAlreadyConsumed, "The response body is being read by another task.")
        }
    }

    /// The reader starts I/O on a connection it still owns (the body is streaming), which an
    /// abandon may now interrupt. False when an abandon was requested since `enterRead`: then
    /// there is no I/O to do, and the reader abandons the body instead.
    func beginIO() -> Bool {
        state.withLock { state in
            guard case .settling(let abandonRequested) = state else { preconditionFailure("beginIO outside a read") }
            guard !abandonRequested else {
                state = .settling(abandonRequested: false)
                return false
            }
            state = .inIO(abandonRequested: false)
            return true
        }
    }

    /// The read's I/O is over; returns whether an abandon interrupted it.
    func endIO() -> Bool {
        state.withLock { state in
            guard case .inIO(let abandonRequested) = state else { preconditionFailure("endIO outside a read") }
            state = .settling(abandonRequested: false)
            return abandonRequested
        }
    }

    /// Enters to abandon the body and returns true when nobody holds it. Otherwise records the
    /// request for the holder, calling `interrupt` (under the lock) if a read is in its I/O, and
    /// returns false.
    func enterAbandon(interrupt: () -> Void) -> Bool {
        state.withLock { state in
            switch state {
            case .idle:
                state = .settling(abandonRequested: false)
                return true
            case .inIO:
                state = .inIO(abandonRequested: true)
                interrupt()
                return false
            case .settling:
                state = .settling(abandonRequested: true)
                return false
            }
        }
    }

    /// Leaves, unless an abandon was requested while the holder settled: then returns false,
    /// and the holder abandons the body and calls again.
    func leave() -> Bool {
        state.withLock { state in
            guard case .settling(let abandonRequested) = state else { preconditionFailure("leave without entering") }
            if abandonRequested {
                state = .settling(abandonRequested: false)
                return false
            }
            state = .idle
            return true
        }
    }
}
