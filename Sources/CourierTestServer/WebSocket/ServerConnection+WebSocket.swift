import CourierCore
import CourierTransport
import CourierWebSocket

extension ServerConnection {
    /// Accepts a valid WebSocket handshake: writes the 101, then hands the stream, and the bytes
    /// already read past the request, to the scripted session. The connection is the session's
    /// until the session ends; the caller then closes it.
    ///
    /// The session runs off the reactor (it is user code), and a cancelled connection (the
    /// server shutting down) interrupts the stream so that a session waiting on it wakes.
    func upgrade(
        _ request: RecordedRequest, key: WebSocketKey, headers extra: HTTPHeaders, script: WebSocketScript
    ) async throws {
        let answer = ServerWebSocketHandshake.answer(
            key: key, requestHeaders: request.headers, subprotocol: script.subprotocol, deflate: script.deflate)
        var headers = answer.headers
        for field in extra { headers.add(field.name, field.value) }
        try await stream.write(
            try HTTP1Serializer.responseHead(status: HTTPStatus(code: 101), headers: headers), deadline: nil)
        let socket = ServerWebSocket(request: request, answer: answer, stream: stream, buffer: buffer)
        let stream = self.stream
        await withTaskCancellationHandler {
            await run(script.session, on: socket)
        } onCancel: {
            stream.interrupt()
        }
    }

    /// Runs the session, then closes what it left open: with 1000 after a return, with 1011 and
    /// the error after a throw; not at all when the connection was cancelled.
    private func run(_ session: @Sendable (ServerWebSocket) async throws -> Void, on socket: ServerWebSocket) async {
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
