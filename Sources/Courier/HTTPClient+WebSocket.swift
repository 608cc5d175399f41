import CourierCore
import CourierTransport
import CourierWebSocket

extension HTTPClient {
    /// Opens a WebSocket (RFC 6455) to `request`'s URL (`ws`, `wss`, `http` or `https`).
    ///
    /// The opening handshake is an ordinary call through this client: application and network
    /// interceptors, cookies, authentication, redirects, TLS settings and events all apply.
    /// Subprotocols are offered through the request's `Sec-WebSocket-Protocol` header; the
    /// server's choice is ``WebSocket/subprotocol``. permessage-deflate is offered unless
    /// `configuration.webSocket.compression` is false.
    ///
    /// The handshake goes the way the connection the call gets speaks. Over HTTP/1.1 it is an
    /// upgrade, answered with a 101, and the connection then leaves the pool for good. Over
    /// HTTP/2 (negotiated by ALPN, or h2c when `protocols` is `[.http2]`), when the server
    /// enabled it, it is an extended CONNECT (RFC 8441) answered with a 200: the WebSocket is one
    /// stream, and the connection goes on carrying other calls. An HTTP/2 server that did not
    /// enable it is asked again over HTTP/1.1, on a connection of its own, as browsers do (when
    /// `protocols` allows HTTP/1.1); the client remembers the origin, and its later WebSockets
    /// go to HTTP/1.1 at once.
    ///
    /// Like OkHttp, the call counts against `maxRequests`/`maxRequestsPerHost` only until the
    /// server accepts the handshake: an open WebSocket holds no dispatcher slot.
    ///
    /// - Throws: `HTTPClientError` of kind `.webSocketHandshakeFailed`, carrying the server's
    ///   `response`, when it did not accept the handshake (with no response when only HTTP/2 is
    ///   allowed and the server cannot take a WebSocket over it); any error a call can throw.
    public func webSocket(_ request: HTTPRequest) async throws -> WebSocket {
        let handshake = try WebSocketHandshake(request, compression: configuration.webSocket.compression)
        let origin = Address(try handshake.request.target, tls: configuration.tls, protocols: configuration.protocols)
        let overHTTP1 = { try await self.with { $0.protocols = [.http1_1] }.send(handshake.request) }
        let response: HTTPResponse
        do {
            response = try await webSocketFallbacks.prefersHTTP1(origin) ? overHTTP1() : call(handshake.request)
        } catch let unavailable as UpgradeUnavailable {
            guard configuration.protocols.contains(.http1_1) else {
                throw HTTPClientError(
                    .webSocketHandshakeFailed,
                    "WebSocket handshake with \(request.url.absoluteString) failed: \(unavailable.error.message)",
                    response: nil, closeReason: nil)
            }
            webSocketFallbacks.remember(origin)
            response = try await overHTTP1()
        }
        let accepted = try handshake.verify(response)
        guard let switched = response.switchedConnection as? SwitchedStream, let (stream, leftover) = switched.take()
        else {
            throw HTTPClientError(
                .webSocketHandshakeFailed,
                "WebSocket handshake with \(request.url.absoluteString) failed: an interceptor replaced the response that accepted it.",
                response: response, closeReason: nil)
        }
        return WebSocket(
            stream: stream, leftover: leftover, response: response, accepted: accepted,
            options: configuration.webSocket, pingInterval: configuration.pingInterval,
            writeTimeout: configuration.writeTimeout)
    }
}
