import CourierTransport
import CourierWebSocket

extension HTTPClient {
    /// Opens a WebSocket (RFC 6455) to `request`'s URL (`ws`, `wss`, `http` or `https`).
    ///
    /// The opening handshake is an ordinary call through this client: application and network
    /// interceptors, cookies, authentication, redirects, TLS settings and events all apply.
    /// Subprotocols are offered through the request's `Sec-WebSocket-Protocol` header; the
    /// server's choice is ``WebSocket/subprotocol``. permessage-deflate is offered unless
    /// `configuration.webSocket.compression` is false. The handshake goes over HTTP/1.1 (HTTP/2
    /// has no 101), on a connection that then leaves the pool for good.
    ///
    /// Like OkHttp, the call counts against `maxRequests`/`maxRequestsPerHost` only until the
    /// server's 101 arrives: an open WebSocket holds no dispatcher slot.
    ///
    /// - Throws: `HTTPClientError` of kind `.webSocketHandshakeFailed`, carrying the server's
    ///   `response`, when it did not accept the handshake; any error a call can throw.
    public func webSocket(_ request: HTTPRequest) async throws -> WebSocket {
        let handshake = try WebSocketHandshake(request, compression: configuration.webSocket.compression)
        let response = try await with { $0.protocols = [.http1_1] }.send(handshake.request)
        let accepted = try handshake.verify(response)
        guard let switched = response.switchedConnection as? SwitchedStream, let (stream, leftover) = switched.take()
        else {
            throw HTTPClientError(
                .webSocketHandshakeFailed,
                "WebSocket handshake with \(request.url.absoluteString) failed: an interceptor replaced the 101 response.",
                response: response, closeReason: nil)
        }
        return WebSocket(
            stream: stream, leftover: leftover, response: response, accepted: accepted,
            options: configuration.webSocket, pingInterval: configuration.pingInterval,
            writeTimeout: configuration.writeTimeout)
    }
}
