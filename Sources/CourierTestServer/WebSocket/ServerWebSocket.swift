import CourierCore
import CourierTransport
public import CourierWebSocket
import Synchronization

/// The server's end of an upgraded WebSocket connection, as a ``MockResponse/webSocket(subprotocol:deflate:_:)``
/// session scripts it: receive what the client sends, send messages, pings, raw bytes, close
/// cleanly or abort.
///
/// The client's frames must be masked and the server's are not (RFC 6455 §5.1). A client that
/// breaks the protocol gets a close frame with the matching code (1002, 1007, 1009), the
/// connection is closed, and ``receive()`` throws ``ServerWebSocketError/protocolViolation(code:reason:)``.
/// Pings are answered with pongs inside ``receive()``, which still reports them: a session that
/// never receives answers none, which is how to script a server that stalls.
///
/// Faults to script: ``abort()`` (TCP closes without a close frame), a stall (never call
/// ``receive()``; keep the session suspended), a ping flood (``ping(_:)`` in a loop), invalid
/// frames (``sendRaw(_:)``).
///
/// ```swift
/// server.enqueue(.webSocket { socket in
///     guard case .message(.text(let name))? = try await socket.receive() else { return }
///     try await socket.send(.text("hello, \(name)"))
///     try await socket.close(code: WebSocketCloseCode(rawValue: 4001), reason: "done")
/// })
/// ```
public final class ServerWebSocket: Sendable {
    /// The handshake request.
    public let request: RecordedRequest
    /// The `Sec-WebSocket-Extensions` value the server answered with, if any.
    public let extensions: String?
    /// The `Sec-WebSocket-Protocol` the server chose, if any.
    public let subprotocol: String?

    /// How long ``close(code:reason:)`` waits for the client's close frame.
    public static let closeTimeout: Duration = .seconds(5)

    private let stream: any ByteStream
    private let reader: WebSocketServerReader
    private let writer: WebSocketServerWriter
    private let closeState = Mutex(WebSocketCloseState(role: .server, closeTimeout: ServerWebSocket.closeTimeout))

    /// `buffer` holds the bytes that followed the handshake request.
    init(
        request: RecordedRequest, answer: ServerWebSocketHandshake.Answer, stream: any ByteStream, buffer: ReceiveBuffer
    ) {
        self.request = request
        self.extensions = answer.extensions
        self.subprotocol = answer.subprotocol
        self.stream = stream
        self.reader = WebSocketServerReader(stream: stream, buffer: buffer, deflate: answer.deflate)
        self.writer = WebSocketServerWriter(stream: stream, deflate: answer.deflate)
    }

    /// The next thing the client sent, or nil once the connection has ended (after the client's
    /// close frame, which is answered and reported first, or at end of stream). Calls from
    /// several tasks take turns, as does ``close(code:reason:)``, which reads too.
    ///
    /// - Throws: ``ServerWebSocketError/protocolViolation(code:reason:)`` when the client broke
    ///   the protocol (the connection is then failed), or the socket's error.
    public func receive() async throws -> Event? {
        await reader.acquire()
        defer { reader.release() }
        return try await nextEvent()
    }

    /// Sends a message: as one frame, or fragments of 64 KiB for a longer one; compressed when
    /// permessage-deflate was negotiated and the message is long enough to gain from it.
    ///
    /// - Throws: ``ServerWebSocketError/closed`` once the close frame is out or the connection ended.
    public func send(_ message: WebSocketMessage) async throws {
        guard closeState.withLock({ $0.canSendMessages }) else { throw ServerWebSocketError.closed }
        try await writer.send(message)
    }

    /// Sends a ping with up to 125 octets of payload; the client's pong comes through ``receive()``.
    public func ping(_ payload: [UInt8] = []) async throws {
        guard payload.count <= 125 else { throw ServerWebSocketError.controlPayloadTooLong(payload.count) }
        guard closeState.withLock({ $0.canSendMessages }) else { throw ServerWebSocketError.closed }
        try await writer.sendControl(.ping, payload: payload)
    }

    /// Writes `bytes` as they are, valid frames or not, even after the close frame: for tests of
    /// how a client meets a hostile server.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await writer.sendRaw(bytes)
    }

    /// Closes cleanly (RFC 6455 §7): sends a close frame with `code` and `reason` (cut to 123
    /// octets of whole characters), waits up to ``closeTimeout`` for the client's close frame,
    /// discarding what comes before it, then closes TCP. Any code goes out, even one RFC 6455
    /// forbids sending, so that a test can check the client refuses it. Does nothing once a close
    /// has begun.
    ///
    /// When another task is in ``receive()``, that task may be the one to get the client's close
    /// frame; this call returns once it has come, or at the time limit.
    ///
    /// - Throws: the socket's error when the close frame cannot be written.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async throws {
        let payload = WebSocketClosePayload(code: code, reason: reason)
        let actions = closeState.withLock { $0.closeRequested(payload, now: .now) }
        guard case .startTimer(let deadline)? = actions.last else { return }
        do {
            try await writer.sendClose(payload)
        } catch {
            await perform(closeState.withLock { $0.connectionClosed() })
            throw error
        }
        // At the limit the stream is interrupted, which wakes whichever task is reading.
        let timer = Task { [self] in
            try await Task.sleep(until: deadline, clock: .continuous)
            let actions = closeState.withLock { $0.timerFired(now: .now) }
            await perform(actions)
            if !actions.isEmpty { stream.interrupt() }
        }
        defer { timer.cancel() }
        await reader.acquire()
        defer { reader.release() }
        while let event = try? await nextEvent() {
            if case .close = event { return }
        }
    }

    /// Closes TCP at once, without a close frame: the client sees an abnormal closure (1006).
    public func abort() {
        _ = closeState.withLock { $0.connectionClosed() }
        stream.interrupt()
    }

    /// Sends every message back as it came, until the client closes (whose close frame is then
    /// answered) or the connection ends; pings are answered as ``receive()`` does.
    public func echo() async throws {
        while let event = try await receive() {
            guard case .message(let message) = event else { continue }
            try await send(message)
        }
    }

    /// The next event, feeding the close handshake what arrives; the caller holds the reader's lock.
    private func nextEvent() async throws -> Event? {
        guard closeState.withLock({ $0.state != .closed }) else { return nil }
        let received: WebSocketMessageAssembler.Event?
        do {
            received = try await reader.next()
        } catch let error as WebSocketProtocolError {
            await perform(closeState.withLock { $0.failed(error) })
            throw ServerWebSocketError.protocolViolation(code: error.closeCode, reason: error.description)
        } catch {
            await perform(closeState.withLock { $0.connectionClosed() })
            throw error
        }
        guard let received else {
            await perform(closeState.withLock { $0.connectionClosed() })
            return nil
        }
        switch received {
        case .message(let message):
            return .message(message)
        case .ping(let payload):
            if closeState.withLock({ $0.canSendMessages }) {
                // A failed pong means a failed connection, which the next read reports.
                try? await writer.sendControl(.pong, payload: payload.array)
            }
            return .ping(payload.array)
        case .pong(let payload):
            return .pong(payload.array)
        case .close(let payload):
            await perform(closeState.withLock { $0.closeFrameReceived(payload, now: .now) })
            return .close(code: payload.code, reason: payload.reason)
        }
    }

    /// Carries out the close handshake's actions. The timer is ``close(code:reason:)``'s, and how
    /// the messages end is the event ``receive()`` returns.
    private func perform(_ actions: [WebSocketCloseState.Action]) async {
        for action in actions {
            switch action {
            case .sendClose(let payload):
                // When the close frame cannot be written, the connection is closed next anyway.
                try? await writer.sendClose(payload)
            case .closeConnection:
                await writer.shutdownOutput()
            case .startTimer, .finishMessages:
                break
            }
        }
    }
}
