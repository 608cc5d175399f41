import CourierCore
import CourierTransport

/// Header fields as HTTP/2 carries them (RFC 9113 §8.2, §8.3): pseudo-header fields first,
/// lowercase names, no connection-specific fields.
package enum HTTP2Fields {
    /// Fields that mean something only to one HTTP/1.1 connection (§8.2.2), lowercase.
    package static let connectionSpecificNames = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]

    /// Whether a lowercase field name is one of ``connectionSpecificNames``. A `switch`
    /// compares the short names in place; a `Set` hashed every field of every head.
    package static func isConnectionSpecific(_ name: String) -> Bool {
        switch name {
        case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade": true
        default: false
        }
    }

    /// The protocol a request asks to switch to the HTTP/1.1 way, a GET with `Upgrade` and
    /// `Connection: upgrade`, when HTTP/2 carries the switch as extended CONNECT's `:protocol`
    /// (RFC 8441 §4): `websocket`, the one protocol defined for it. Other upgrades (h2c, TLS)
    /// mean something only to one HTTP/1.1 connection and are dropped with its other fields.
    static func upgradeProtocol(of request: HTTPRequest) -> String? {
        guard request.method == .get, request.body == nil,
            request.headers.containsToken("upgrade", in: "connection"),
            request.headers.containsToken("websocket", in: "upgrade")
        else { return nil }
        return "websocket"
    }

    /// The request's fields for a HEADERS frame: `:method`, `:scheme`, `:authority` (the Host
    /// field, or the URL's authority) and `:path`, then the request's own fields lowercased,
    /// without Host, connection-specific fields or those the Connection field names, and with TE
    /// only as `trailers`. A request to upgrade becomes an extended CONNECT (RFC 8441 §4), which
    /// names the protocol in `:protocol`: `upgrade`, which the caller has from
    /// ``upgradeProtocol(of:)``. `content-length` is the body's length, whatever the request's
    /// field said (a network interceptor may replace the body after the bridge set it): a stale
    /// one would make the stream malformed (§8.1.1). None goes with a body of unknown length, and
    /// without a body only a `0` the request carried.
    static func request(_ request: HTTPRequest, upgrade: String?) throws(HTTPClientError) -> HTTPHeaders {
        let target = try request.target
        let source = request.headers
        var fields = HTTPHeaders()
        fields.reserveCapacity(source.count + 5)
        if let upgrade {
            fields.add(":method", "CONNECT")
            fields.add(":protocol", upgrade)
        } else {
            fields.add(":method", request.method.rawValue)
        }
        fields.add(":scheme", target.isSecure ? "https" : "http")
        fields.add(":authority", source["host"] ?? target.authority)
        fields.add(":path", target.path)
        let named = source.values(for: "connection").flatMap { ListElements($0).map { lowercased($0) } }
        for field in source.fields {
            let name = lowercased(field.name)
            if name == "host" || name == "content-length" || isConnectionSpecific(name) || named.contains(name) {
                continue
            }
            // The key an HTTP/1.1 upgrade needs (its accept value proves the 101 came from a
            // WebSocket server); extended CONNECT does not carry it (RFC 8441 §5).
            if upgrade != nil && name == "sec-websocket-key" { continue }
            if name == "te" {
                if ListElements(field.value).contains(where: { $0.equalsIgnoringASCIICase("trailers") }) {
                    fields.add("te", "trailers")
                }
                continue
            }
            fields.add(name, field.value)
        }
        if let body = request.body {
            if let length = body.length { fields.add("content-length", String(length)) }
        } else if source["content-length"] != nil {
            fields.add("content-length", "0")
        }
        return fields
    }

    /// What a valid response head says.
    struct Head {
        var head: ResponseHead
        var contentLength: Int?
    }

    /// Checks a response header block (§8.3.2, §8.2): `:status` exactly once and first, no other
    /// pseudo-header field, lowercase names, no connection-specific fields, a consistent
    /// Content-Length. The head's fields are the block's without `:status`, taken over in place.
    static func response(
        _ fields: consuming HTTPHeaders, stream: UInt32, peer: String
    ) throws(HTTPClientError) -> Head {
        var status: Int?
        var contentLength: Int?
        for index in fields.fields.indices {
            let field = fields.fields[index]
            let name = field.name
            if name.utf8.first == UInt8(ascii: ":") {
                guard name == ":status", index == 0 else {
                    throw malformed(
                        "the pseudo-header field \(name) is repeated, misplaced or not a response's", stream, peer)
                }
                guard field.value.utf8.count == 3, let code = Int(field.value), (100...999).contains(code) else {
                    throw malformed(":status \"\(field.value)\" is not a three-digit status code", stream, peer)
                }
                status = code
                continue
            }
            try checkName(name, value: field.value, stream: stream, peer: peer)
            if name == "content-length" {
                guard let length = parseContentLength(field.value), contentLength == nil || contentLength == length
                else {
                    throw HTTPClientError.protocolViolation(
                        .invalidContentLength,
                        "\(peer) sent an invalid or conflicting content-length \"\(field.value)\" on HTTP/2 stream \(stream)."
                    )
                }
                contentLength = length
            }
        }
        guard let status else { throw malformed("the response has no :status", stream, peer) }
        guard status != 101 else {
            throw malformed("101 Switching Protocols is not allowed in HTTP/2 (RFC 9113 §8.6)", stream, peer)
        }
        fields.removeFirst()
        return Head(
            head: ResponseHead(status: HTTPStatus(code: status), version: .http2, headers: fields),
            contentLength: contentLength)
    }

    /// Checks a trailer block (§8.1): no pseudo-header fields, and the rules of ``response``.
    static func trailers(_ fields: HTTPHeaders, stream: UInt32, peer: String) throws(HTTPClientError) -> HTTPHeaders {
        for field in fields.fields {
            guard field.name.utf8.first != UInt8(ascii: ":") else {
                throw malformed("the trailers contain the pseudo-header field \(field.name)", stream, peer)
            }
            try checkName(field.name, value: field.value, stream: stream, peer: peer)
        }
        return fields
    }

    /// A regular field's name and value (§8.2.1, §8.2.2): the name a lowercase token, the value
    /// free of control octets (NUL, CR and LF above all, which an HTTP/1.1 hop would read as a
    /// line break) and of whitespace at either end; no connection-specific field, TE only as
    /// `trailers`. The same octets the HTTP/1.1 parser refuses.
    private static func checkName(_ name: String, value: String, stream: UInt32, peer: String) throws(HTTPClientError) {
        guard !name.isEmpty,
            name.utf8.allSatisfy({ HTTPSyntax.isTokenCharacter($0) && !($0 >= 0x41 && $0 <= 0x5A) })
        else {
            throw malformed(
                "the field name \(name.debugDescription) is empty, not lowercase or not a token", stream, peer)
        }
        let isWhitespace = { (octet: UInt8) in octet == 0x20 || octet == 0x09 }
        guard value.utf8.allSatisfy(HTTPSyntax.isFieldValueCharacter),
            !(value.utf8.first.map(isWhitespace) ?? false), !(value.utf8.last.map(isWhitespace) ?? false)
        else {
            throw malformed(
                "the value of \(name) holds a control octet or whitespace at an end: \(value.debugDescription)", stream,
                peer)
        }
        guard !isConnectionSpecific(name) else {
            throw malformed("the connection-specific field \(name) is not allowed", stream, peer)
        }
        guard name != "te" || value == "trailers" else {
            throw malformed("TE is not \"trailers\"", stream, peer)
        }
    }

    /// A Content-Length value: digits, or a list of equal digit runs ("5, 5").
    private static func parseContentLength(_ value: String) -> Int? {
        // Almost always one run of digits: no list to split.
        if let length = decimal(value.utf8) { return length }
        var result: Int?
        for element in ListElements(value, omittingEmpty: false) {
            guard let length = decimal(element.utf8), result == nil || result == length else { return nil }
            result = length
        }
        return result
    }

    /// 1 to 18 ASCII digits as a number (so it cannot overflow); nil for anything else.
    private static func decimal(_ octets: some Collection<UInt8>) -> Int? {
        guard !octets.isEmpty, octets.count <= 18 else { return nil }
        var value = 0
        for octet in octets {
            guard octet >= 0x30 && octet <= 0x39 else { return nil }
            value = value * 10 + Int(octet - 0x30)
        }
        return value
    }

    private static func malformed(_ reason: String, _ stream: UInt32, _ peer: String) -> HTTPClientError {
        HTTPClientError.protocolViolation(
            .malformedHeader, "\(peer) sent a malformed HTTP/2 response on stream \(stream): \(reason).")
    }

    /// Written straight into the string: a short name then stays a small string, no allocation.
    /// Over the name's contiguous bytes: a request's canonical names (`User-Agent`) all take this
    /// path, and iterating `utf8` one index at a time cost more than the copy.
    private static func lowercased(_ name: some StringProtocol) -> String {
        var name = String(name)
        return name.withUTF8 { bytes in
            guard bytes.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { buffer in
                for index in bytes.indices {
                    let byte = bytes[index]
                    buffer[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                }
                return bytes.count
            }
        } ?? name
    }
}
