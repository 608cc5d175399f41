import CourierCore
import Synchronization

/// The origins whose HTTP/2 connections did not enable extended CONNECT (RFC 8441), so that a
/// WebSocket to one of them goes straight to HTTP/1.1. Without it every such WebSocket would
/// first fail a call over HTTP/2 — a dispatcher slot, and `callStart`/`callFailed` events that
/// an application's metrics would count as a failure — which is most servers today: nginx does
/// not speak RFC 8441.
///
/// Kept for the client's life and shared by clients made with `with(_:)`; a server that starts
/// enabling extended CONNECT is seen by a new client. Bounded: past ``capacity`` origins it
/// starts over, since forgetting costs one failed attempt per origin.
final class WebSocketFallbacks: Sendable {
    static let capacity = 1024

    private let origins = Mutex<Set<Address>>([])

    /// Whether a WebSocket to `origin` should skip HTTP/2.
    func prefersHTTP1(_ origin: Address) -> Bool {
        origins.withLock { $0.contains(origin) }
    }

    /// `origin`'s HTTP/2 connection could not carry a WebSocket.
    func remember(_ origin: Address) {
        origins.withLock { origins in
            if origins.count >= WebSocketFallbacks.capacity { origins.removeAll() }
            origins.insert(origin)
        }
    }
}
