public import CourierCore
package import CourierTransport

/// A client WebSocket (RFC 6455), opened by `HTTPClient.webSocket(_:)`.
///
/// ```swift
/// let socket = try await client.webSocket(HTTPRequest(url: URL(string: "wss://example.com/chat")!))
/// try await socket.send(.text("hello"))
/// for try await message in socket.messages { … }
/// try await socket.close(code: .normalClosure, reason: "bye")
/// ```
///
/// Received messages are pulled: the socket is read only while the consumer keeps up (see
/// ``WebSocketOptions/maxBufferedBytes``). `messages` ends after the peer closes normally (1000,
/// or no code) and throws an `HTTPClientError` of kind `.webSocketClosed(code:)` after any other
/// close — the peer's code and reason, the code this end failed with (1002, 1007, 1009), or
/// 1006 when the connection ended without a closing handshake. Cancelling the task that reads
/// `messages`, or dropping an open socket, ends the connection at once; a socket dropped after
/// its closing handshake began (the loop over `messages` ended with the server's close) finishes
/// the handshake first.
public final class WebSocket: Sendable {
    /// The handshake's 101 response.
    public let response: HTTPResponse
    /// The subprotocol the server chose from those the request offered in `Sec-WebSocket-Protocol`.
    public let subprotocol: String?
    /// Whether messages are compressed (permessage-deflate was negotiated).
    public let isCompressed: Bool
    private let connection: WebSocketConnection

    package init(
        stream: any ByteStream, leftover: ReceiveBuffer, response: HTTPResponse,
        accepted: WebSocketHandshake.Accepted, options: WebSocketOptions, pingInterval: Duration?,
        writeTimeout: Duration?
    ) {
        self.response = response
        self.subprotocol = accepted.subprotocol
        self.isCompressed = accepted.deflate != nil
        let connection = WebSocketConnection(
            stream: stream, deflate: accepted.deflate, options: options, writeTimeout: writeTimeout)
        self.connection = connection
        let deflate = accepted.deflate
        Task(executorPreference: stream.reactor) {
            await WebSocketReader.run(connection, leftover: leftover, deflate: deflate)
        }
        if let pingInterval {
            Task { [weak connection] in
                while (try? await Task.sleep(for: pingInterval)) != nil, let connection, !connection.hasEnded {
                    connection.pingTick(interval: pingInterval)
                }
            }
        }
    }

    deinit {
        connection.dropped()
    }

    /// The messages the server sends, in order; one consumer at a time.
    public var messages: WebSocketMessages { WebSocketMessages(socket: self) }

    /// Sends `message`, compressed and fragmented as negotiated; returns once it is written to
    /// the kernel. Throws once the socket is closing or closed, and when the write times out
    /// (`writeTimeout`), which fails the socket.
    public func send(_ message: WebSocketMessage) async throws {
        try await connection.send(message)
    }

    /// Starts the closing handshake with `code` and `reason` (at most 123 bytes of UTF-8, cut at
    /// a character boundary), and returns when the connection has ended: the server answered
    /// and closed the TCP connection, or `closeTimeout` passed. Messages still arriving before
    /// the server's close frame are delivered while there is room. Only the first close sends a
    /// close frame.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "") async throws {
        guard code.mayBeSent else {
            throw HTTPClientError(.invalidRequest, "WebSocket close code \(code) must not be sent (RFC 6455 §7.4).")
        }
        connection.close(WebSocketClosePayload(code: code, reason: reason))
        await connection.ended()
    }

    /// Ends the connection now, without a closing handshake; `messages` throws `CancellationError`.
    public func cancel() {
        connection.abort(CancellationError())
    }

    func next() async throws -> WebSocketMessage? {
        let connection = self.connection
        return try await connection.inbox.next { connection.abort(CancellationError()) }
    }
}

/// The messages of a ``WebSocket``, as they arrive.
public struct WebSocketMessages: AsyncSequence, Sendable {
    public typealias Element = WebSocketMessage

    let socket: WebSocket

    public struct AsyncIterator: AsyncIteratorProtocol {
        let socket: WebSocket

        public mutating func next() async throws -> WebSocketMessage? {
            try await socket.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(socket: socket)
    }
}

extension HTTPClientError {
    /// The close code of a `.webSocketClosed(code:)` error.
    public var closeCode: WebSocketCloseCode? {
        guard case .webSocketClosed(let code) = kind else { return nil }
        return WebSocketCloseCode(rawValue: code)
    }
}
