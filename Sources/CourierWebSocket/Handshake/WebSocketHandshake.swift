package import CourierCore
import FoundationEssentials

/// The client's half of the opening handshake (RFC 6455 §4.1): the request it sends through the
/// client's own stack (interceptors, cookies, authentication and events all apply), and the
/// checks on the server's answer before the connection becomes a WebSocket.
package struct WebSocketHandshake: Sendable {
    package let key: WebSocketKey
    /// The permessage-deflate offer; nil when compression is off or the caller set
    /// `Sec-WebSocket-Extensions` itself.
    package let offer: PerMessageDeflateOffer?
    /// The request as it goes to the client's chain.
    package let request: HTTPRequest

    /// The handshake for `request` (a `ws`, `wss`, `http` or `https` URL): a GET with the upgrade
    /// headers, its URL's scheme made `http`/`https` as OkHttp does, so that cookies, the pool
    /// and redirects treat it as the HTTP request it is. Subprotocols are offered through the
    /// request's own `Sec-WebSocket-Protocol` header.
    package init(_ request: HTTPRequest, compression: Bool, key: WebSocketKey = .random()) throws(HTTPClientError) {
        var request = request
        let url = request.url.absoluteString
        for (socket, http) in [("ws://", "http://"), ("wss://", "https://")]
        where url.lowercased().hasPrefix(socket) {
            guard let converted = URL(string: http + url.dropFirst(socket.count)) else {
                throw HTTPClientError(.invalidURL, "WebSocket URL \(url) cannot be read as HTTP.")
            }
            request.url = converted
        }
        guard request.method == .get, request.body == nil else {
            throw HTTPClientError(.invalidRequest, "A WebSocket handshake is a GET without a body.")
        }
        request.headers["Upgrade"] = "websocket"
        request.headers["Connection"] = "Upgrade"
        request.headers["Sec-WebSocket-Key"] = key.value
        request.headers["Sec-WebSocket-Version"] = "13"
        if compression && !request.headers.contains("Sec-WebSocket-Extensions") {
            let offer = PerMessageDeflateOffer()
            request.headers["Sec-WebSocket-Extensions"] = offer.headerValue
            self.offer = offer
        } else {
            self.offer = nil
        }
        self.key = key
        self.request = request
    }

    /// What the server agreed to.
    package struct Accepted: Sendable {
        package let subprotocol: String?
        package let deflate: PerMessageDeflateParameters?
    }

    /// Checks the server's answer (§4.1, the client's requirements on the response): over
    /// HTTP/1.1 a 101 with the upgrade headers and the accept value for our key; over HTTP/2,
    /// where the handshake went as extended CONNECT, a 2xx (RFC 8441 §5, which has no key).
    /// Then a subprotocol only from those offered and extensions only as offered. Anything else
    /// is `.webSocketHandshakeFailed` carrying the response.
    package func verify(_ response: HTTPResponse) throws(HTTPClientError) -> Accepted {
        func fail(_ why: String) -> HTTPClientError {
            HTTPClientError(
                .webSocketHandshakeFailed, "WebSocket handshake with \(request.url.absoluteString) failed: \(why).",
                response: response, closeReason: nil)
        }
        if response.version == .http2 {
            guard response.status.isSuccess else {
                throw fail(
                    "the server answered \(response.status.code) to the extended CONNECT (RFC 8441) instead of 200")
            }
        } else {
            guard response.status.code == 101 else {
                throw fail("the server answered \(response.status.code) instead of 101 Switching Protocols")
            }
            guard response.headers["Upgrade"]?.lowercased() == "websocket" else {
                throw fail("the 101 has no Upgrade: websocket")
            }
            guard response.headers.containsToken("upgrade", in: "Connection") else {
                throw fail("the 101 has no Connection: upgrade")
            }
            guard response.headers["Sec-WebSocket-Accept"] == key.accept else {
                throw fail("Sec-WebSocket-Accept does not answer our Sec-WebSocket-Key")
            }
        }
        let offered = request.headers.values(for: "Sec-WebSocket-Protocol").flatMap {
            ListElements($0).map(String.init)
        }
        let subprotocol = response.headers["Sec-WebSocket-Protocol"]
        if let subprotocol, !offered.contains(subprotocol) {
            throw fail("the server chose subprotocol \(subprotocol), which was not offered")
        }
        let extensions = response.headers.values(for: "Sec-WebSocket-Extensions").joined(separator: ", ")
        guard let offer else {
            guard extensions.isEmpty else {
                throw fail("the server chose extensions that were not offered: \(extensions)")
            }
            return Accepted(subprotocol: subprotocol, deflate: nil)
        }
        do {
            return Accepted(subprotocol: subprotocol, deflate: try offer.accept(response: extensions))
        } catch {
            throw fail("its Sec-WebSocket-Extensions \(extensions) is not an answer to our offer (\(error))")
        }
    }
}
