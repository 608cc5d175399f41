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
            await script.run(on: socket)
        } onCancel: {
            stream.interrupt()
        }
    }
}
