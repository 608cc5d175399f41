import Synchronization

/// A lock held across suspension points, granted first come, first served: what keeps the frames
/// of one write from interleaving with another's on the stream, and one reader's use of the
/// receive buffer from another's, whichever tasks write and read.
///
/// An actor would not do: it lets a second write in while the first waits for the socket.
final class AsyncLock: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Waits until the lock is this task's. Not cancellable: every holder releases, since every
    /// read and write ends (a stalled one when the socket is interrupted).
    func acquire() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Hands the lock to the longest waiter, or frees it.
    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
