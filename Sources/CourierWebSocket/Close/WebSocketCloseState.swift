/// The closing handshake of one connection (RFC 6455 §7), free of I/O and clocks: the owner (the
/// socket's actor) feeds it events with the current instant and performs the actions it returns,
/// in order.
///
/// Either end may close first. Each sends one close frame, and the handshake is done when each
/// has received the other's (§7.1.2). Then the server closes the TCP connection at once, and the
/// client waits for the server to do it first (§7.1.1: so that the server, not the client, holds
/// TIME_WAIT), but only ``tcpCloseTimeout``: a server that never closes does not hold the
/// client's socket forever. A peer that never answers our close frame is given ``closeTimeout``.
///
/// A protocol error fails the connection (§7.1.7): one close frame with the error's code if ours
/// has not gone out yet, then the TCP connection is closed without waiting, and nothing the peer
/// sends afterwards is processed.
package struct WebSocketCloseState: Sendable {
    package enum State: Hashable, Sendable {
        /// Messages flow both ways.
        case open
        /// Our close frame is out; the peer's is awaited until `deadline`. We send no more messages.
        case closeSent(deadline: ContinuousClock.Instant)
        /// The peer's close frame has arrived and ours is out (as the reply, or before it): the
        /// handshake is done, and a client waits for the server to close TCP until `deadline`.
        case closeReceived(deadline: ContinuousClock.Instant)
        /// The TCP connection is closed or being closed; nothing more happens.
        case closed
    }

    /// What the owner must do, in the order given.
    package enum Action: Hashable, Sendable {
        case sendClose(WebSocketClosePayload)
        case closeConnection
        /// Call ``timerFired(now:)`` at `deadline`. A new timer replaces the previous one.
        case startTimer(deadline: ContinuousClock.Instant)
        /// End the stream of received messages.
        case finishMessages(Ending)
    }

    /// How the stream of received messages ends.
    package enum Ending: Hashable, Sendable {
        /// The peer closed with a close frame: a normal end, with the peer's code and reason.
        case closed(WebSocketClosePayload)
        /// The connection failed: a protocol error (ours to report with the code we sent), or the
        /// connection ended without a close handshake (1006).
        case failed(WebSocketCloseCode, reason: String)
    }

    package let role: WebSocketRole
    /// How long the peer has to answer our close frame with its own.
    package let closeTimeout: Duration
    /// How long a client waits, after the handshake, for the server to close the TCP connection.
    package let tcpCloseTimeout: Duration
    package private(set) var state = State.open

    /// OkHttp's 60 seconds for the peer's close frame. Two seconds for the server's TCP close:
    /// a server that is still there closes well within it, and one that is not costs a client
    /// socket for no longer than that.
    package init(role: WebSocketRole, closeTimeout: Duration = .seconds(60), tcpCloseTimeout: Duration = .seconds(2)) {
        self.role = role
        self.closeTimeout = closeTimeout
        self.tcpCloseTimeout = tcpCloseTimeout
    }

    /// Whether messages may still be sent: not once our close frame is out (§5.5.1).
    package var canSendMessages: Bool {
        switch state {
        case .open: true
        case .closeSent, .closeReceived, .closed: false
        }
    }

    /// The application closes the connection. Only the first close does anything.
    package mutating func closeRequested(_ payload: WebSocketClosePayload, now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .open:
            let deadline = now + closeTimeout
            state = .closeSent(deadline: deadline)
            return [.sendClose(payload), .startTimer(deadline: deadline)]
        case .closeSent, .closeReceived, .closed:
            return []
        }
    }

    /// The peer's close frame arrived (already validated: an invalid one is a ``failed(_:)``).
    /// When it comes first it is answered with the same code (§5.5.1).
    package mutating func closeFrameReceived(
        _ payload: WebSocketClosePayload, now: ContinuousClock.Instant
    ) -> [Action] {
        switch state {
        case .open:
            let reply = payload.code.map { WebSocketClosePayload(code: $0, reason: "") } ?? .empty
            return [.sendClose(reply), .finishMessages(.closed(payload))] + handshakeDone(now: now)
        case .closeSent:
            return [.finishMessages(.closed(payload))] + handshakeDone(now: now)
        case .closeReceived, .closed:
            // A second close frame: nothing after the first is processed.
            return []
        }
    }

    /// Both close frames are exchanged: the server closes TCP, the client gives it time to.
    private mutating func handshakeDone(now: ContinuousClock.Instant) -> [Action] {
        switch role {
        case .server:
            state = .closed
            return [.closeConnection]
        case .client:
            let deadline = now + tcpCloseTimeout
            state = .closeReceived(deadline: deadline)
            return [.startTimer(deadline: deadline)]
        }
    }

    /// The peer broke the protocol: fail the connection (§7.1.7).
    package mutating func failed(_ error: WebSocketProtocolError) -> [Action] {
        let ending = Ending.failed(error.closeCode, reason: error.description)
        switch state {
        case .open:
            state = .closed
            let close = WebSocketClosePayload(code: error.closeCode, reason: error.description)
            return [.sendClose(close), .closeConnection, .finishMessages(ending)]
        case .closeSent:
            state = .closed
            return [.closeConnection, .finishMessages(ending)]
        case .closeReceived:
            state = .closed
            return [.closeConnection]
        case .closed:
            return []
        }
    }

    /// The TCP connection ended (the peer closed it, or reading or writing failed). After the
    /// handshake that is the expected end; before it, an abnormal closure (1006).
    package mutating func connectionClosed() -> [Action] {
        let abnormal = Action.finishMessages(
            .failed(.abnormalClosure, reason: "the connection closed without a closing handshake"))
        switch state {
        case .open, .closeSent:
            state = .closed
            return [.closeConnection, abnormal]
        case .closeReceived:
            state = .closed
            return [.closeConnection]
        case .closed:
            return []
        }
    }

    /// The timer from the last ``Action/startTimer(deadline:)`` fired. A timer that fires early
    /// or that a later one replaced does nothing.
    package mutating func timerFired(now: ContinuousClock.Instant) -> [Action] {
        switch state {
        case .closeSent(let deadline) where now >= deadline:
            state = .closed
            return [
                .closeConnection,
                .finishMessages(.failed(.abnormalClosure, reason: "the peer did not answer the close frame in time")),
            ]
        case .closeReceived(let deadline) where now >= deadline:
            state = .closed
            return [.closeConnection]
        case .open, .closeSent, .closeReceived, .closed:
            return []
        }
    }
}
