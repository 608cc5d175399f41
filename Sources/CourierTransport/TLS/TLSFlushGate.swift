import Synchronization

/// Lets one task at a time move a ``TLSStream``'s ciphertext from OpenSSL's output BIO to the
/// socket.
///
/// A stream read by one task and written by another (an HTTP/2 connection's reader and writer)
/// flushes from both: `write` after encrypting, `read` when OpenSSL answered the peer (a key
/// update, a TLS 1.2 renegotiation refusal). Two flushes at once would take chunks out of the BIO
/// in one order and send them in another, and would wait on the socket as two writers, which the
/// reactor forbids. The holder drains the BIO until it is empty, so a flush that finds the gate
/// taken has its bytes sent by the holder: a writer waits for that, a reader just goes on reading
/// (waiting could deadlock against a peer that only reads once we have read).
///
/// With a single task using the stream, as HTTP/1.1 does, the gate is always open: one lock
/// round trip per flush, no suspension.
final class TLSFlushGate: Sendable {
    private struct State {
        var isHeld = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Takes the gate if it is free.
    func tryEnter() -> Bool {
        state.withLock { state in
            guard !state.isHeld else { return false }
            state.isHeld = true
            return true
        }
    }

    /// Takes the gate, waiting for the tasks ahead to leave it. The wait is as long as the
    /// holder's socket write, which its own deadline or an interrupt bounds.
    func enter() async {
        if tryEnter() { return }
        await withCheckedContinuation { continuation in
            let entered = state.withLock { state in
                guard state.isHeld else {
                    state.isHeld = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if entered { continuation.resume() }
        }
    }

    /// Leaves the gate, handing it to the first waiter if there is one.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.isHeld = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
