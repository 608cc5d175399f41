package import CourierCore
package import CourierWebSocket

/// The server's half of the WebSocket opening handshake (RFC 6455 §4.2): deciding whether a
/// request is a handshake it may accept, and the headers of the 101 that accepts it.
///
/// Pure functions of the request's method, version and headers, so every rule is tested without
/// a socket.
package enum ServerWebSocketHandshake {
    /// Why a request cannot be upgraded, and the error response that says so instead of a 101.
    package struct Rejection: Error, Hashable, Sendable, CustomStringConvertible {
        /// 400, or 426 for a `Sec-WebSocket-Version` other than 13 (§4.2.2, §4.4).
        package let status: HTTPStatus
        /// `Sec-WebSocket-Version: 13` with a 426, telling the client which version to retry with.
        package let headers: HTTPHeaders
        package let reason: String

        package var description: String { "\(status.code): \(reason)" }

        static func badRequest(_ reason: String) -> Rejection {
            Rejection(status: .badRequest, headers: [:], reason: reason)
        }
    }

    /// What the 101 says, and what it put in effect.
    package struct Answer: Sendable {
        /// `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, and the negotiated protocol and extensions.
        package var headers: HTTPHeaders
        /// The `Sec-WebSocket-Protocol` chosen: the script's, if the client offered it.
        package var subprotocol: String?
        /// The `Sec-WebSocket-Extensions` value answered, if any.
        package var extensions: String?
        /// The permessage-deflate parameters in effect, nil without compression.
        package var deflate: PerMessageDeflateParameters?
    }

    /// The client's key when the request is a handshake a server may accept (§4.2.1): a GET over
    /// HTTP/1.1 with a Host, `Upgrade: websocket` and `Connection: upgrade` (tokens compared
    /// without case), a well-formed `Sec-WebSocket-Key` and `Sec-WebSocket-Version: 13`.
    ///
    /// - Throws: a ``Rejection`` with 400, or 426 for a version the server does not speak.
    package static func validate(
        method: HTTPMethod, version: HTTPVersion, headers: HTTPHeaders
    ) throws(Rejection) -> WebSocketKey {
        guard method == .get else { throw .badRequest("A WebSocket handshake is a GET, not a \(method).") }
        guard version == .http1_1 else { throw .badRequest("A WebSocket handshake needs HTTP/1.1.") }
        guard headers.contains("Host") else { throw .badRequest("The handshake has no Host header.") }
        guard headers.containsToken("websocket", in: "Upgrade") else {
            throw .badRequest("The handshake does not say Upgrade: websocket.")
        }
        guard headers.containsToken("upgrade", in: "Connection") else {
            throw .badRequest("The handshake's Connection header does not list upgrade.")
        }
        try checkVersion(headers)
        // Several Sec-WebSocket-Key fields combine into a value that is not one key.
        guard let keyValue = headers["Sec-WebSocket-Key"] else {
            throw .badRequest("The handshake has no Sec-WebSocket-Key header.")
        }
        let key = WebSocketKey(value: keyValue.trimmingSpaces)
        guard key.isWellFormed else {
            throw .badRequest("Sec-WebSocket-Key \(keyValue) is not base64 of 16 bytes.")
        }
        return key
    }

    /// Checks an HTTP/2 extended CONNECT that opens a WebSocket (RFC 8441 §5): `:protocol` is
    /// `websocket` and `Sec-WebSocket-Version` is 13. (No key: RFC 8441 does without it.)
    ///
    /// - Throws: a ``Rejection`` with 400, or 426 for another version.
    package static func validateExtendedConnect(protocol: String?, headers: HTTPHeaders) throws(Rejection) {
        guard `protocol` == "websocket" else {
            throw .badRequest("The extended CONNECT names :protocol \(`protocol` ?? "(none)"), not websocket.")
        }
        try checkVersion(headers)
    }

    /// `Sec-WebSocket-Version: 13`, the one version there is (§4.2.2, §4.4).
    private static func checkVersion(_ headers: HTTPHeaders) throws(Rejection) {
        guard let versionValue = headers["Sec-WebSocket-Version"] else {
            throw .badRequest("The handshake has no Sec-WebSocket-Version header.")
        }
        guard versionValue.trimmingSpaces == "13" else {
            throw Rejection(
                status: HTTPStatus(code: 426), headers: ["Sec-WebSocket-Version": "13"],
                reason: "Sec-WebSocket-Version \(versionValue) is not spoken here; version 13 is.")
        }
    }

    /// The answer's headers for a valid handshake: over HTTP/1.1 (with the client's `key`) the
    /// upgrade headers and the accept value; over HTTP/2 (`key` nil) none of those; `subprotocol` only if
    /// the client listed it in `Sec-WebSocket-Protocol` (exact match, §4.2.2 item 5.4); and, when
    /// `deflate` allows, the answer to the client's first valid permessage-deflate offer.
    package static func answer(
        key: WebSocketKey?, requestHeaders: HTTPHeaders, subprotocol: String?, deflate: Bool
    ) -> Answer {
        var headers: HTTPHeaders = [:]
        if let key {
            headers = ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": key.accept]
        }
        let offered = requestHeaders.values(for: "Sec-WebSocket-Protocol")
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmingSpaces }
        let chosen = subprotocol.flatMap { offered.contains($0) ? $0 : nil }
        if let chosen { headers["Sec-WebSocket-Protocol"] = chosen }
        let negotiated =
            deflate
            ? requestHeaders["Sec-WebSocket-Extensions"].flatMap { PerMessageDeflateOffer.respond(to: $0) } : nil
        if let negotiated { headers["Sec-WebSocket-Extensions"] = negotiated.headerValue }
        return Answer(
            headers: headers, subprotocol: chosen, extensions: negotiated?.headerValue,
            deflate: negotiated?.parameters)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (optional whitespace, RFC 9110 §5.6.3).
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
