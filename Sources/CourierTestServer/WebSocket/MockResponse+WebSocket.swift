import CourierCore

/// What ``MockResponse/webSocket(subprotocol:deflate:_:)`` scripts: how to answer the handshake
/// and the session to run after it.
struct WebSocketScript: Sendable {
    var subprotocol: String?
    var deflate: Bool
    var session: @Sendable (ServerWebSocket) async throws -> Void

    /// Runs the session, then closes what it left open: with 1000 after a return, with 1011 and
    /// the error after a throw; not at all when the connection was cancelled. Off the reactor:
    /// the session is user code.
    func run(on socket: ServerWebSocket) async {
        let failure: (any Error)?
        do {
            try await withTaskExecutorPreference(globalConcurrentExecutor) { try await session(socket) }
            failure = nil
        } catch {
            failure = error
        }
        guard !Task.isCancelled else { return }
        if let failure {
            try? await socket.close(code: .internalServerError, reason: "\(failure)")
        } else {
            try? await socket.close(code: .normalClosure)
        }
    }
}

extension MockResponse {
    /// Answers a WebSocket opening handshake (RFC 6455 §4.2) with 101 and runs `session` on the
    /// upgraded connection; the connection closes when the session ends.
    ///
    /// A request that is not a valid handshake gets 400 (426 for a `Sec-WebSocket-Version` other
    /// than 13) and no upgrade. The 101 names `subprotocol` only if the client offered it, and
    /// accepts permessage-deflate when `deflate` is true and the client offered it. Headers set
    /// on the returned response go out with the 101 too. The handshake request is recorded like
    /// any other (``TestServer/takeRequest(timeout:)``) and is ``ServerWebSocket/request``.
    ///
    /// A session that returns with the connection still open ends it with a close frame (1000);
    /// one that throws, with 1011 and the error as the reason. Either way the server then waits
    /// (bounded) for the client's close frame and closes TCP. ``TestServer/shutdown()`` cancels a
    /// session that is still running.
    ///
    /// Over HTTP/2 the handshake is an extended CONNECT (RFC 8441), which the server enables
    /// unless ``HTTP2Options/enablesConnectProtocol`` is false: it is answered with 200 and the
    /// session runs on the stream. Any other HTTP/2 request gets this response's own 501.
    ///
    /// ```swift
    /// server.enqueue(.webSocket(subprotocol: "chat") { socket in
    ///     try await socket.send(.text("welcome"))
    ///     while case .message(let message)? = try await socket.receive() { try await socket.send(message) }
    /// })
    /// ```
    public static func webSocket(
        subprotocol: String? = nil, deflate: Bool = true,
        _ session: @escaping @Sendable (ServerWebSocket) async throws -> Void
    ) -> MockResponse {
        var response = MockResponse(
            status: HTTPStatus(code: 501), body: "This response answers WebSocket handshakes only.")
        response.webSocket = WebSocketScript(subprotocol: subprotocol, deflate: deflate, session: session)
        return response
    }

    /// Echoes every message back, as the same type, until the client closes; answers pings
    /// (see ``ServerWebSocket/echo()``).
    public static var webSocketEcho: MockResponse {
        webSocket { socket in try await socket.echo() }
    }
}
