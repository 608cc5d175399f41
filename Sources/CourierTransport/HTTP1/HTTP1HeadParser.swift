package import CourierCore

/// Parses an HTTP/1.x message head (RFC 9112 §2–5) strictly: lines end in CRLF (a bare CR or
/// LF is an error), no whitespace before a field's colon, no control characters in values, no
/// whitespace between the start line and the first field. Strictness here is what stops
/// response splitting and smuggling. A response's obs-fold (a field line continued on the next
/// line, which starts with whitespace) becomes one space, as RFC 9112 §5.2 requires of a user
/// agent; a request's is an error, as a server may choose.
///
/// Incremental and fail-fast: `parse` is called with the unread bytes each time more arrive;
/// every line is checked as soon as its CRLF is in, so a bad line is rejected before the rest of
/// the head has come. Empty lines before the start line are skipped (RFC 9112 §2.2).
package struct HTTP1HeadParser {
    package enum Role: Sendable {
        /// Parse request lines (the test server).
        case request
        /// Parse status lines (the client).
        case response
    }

    private let role: Role
    private let limits: HTTP1Limits
    /// Offset of the first byte of the line not yet complete.
    private var lineStart = 0
    /// Offset up to which the current line has been searched for its end.
    private var scanned = 0
    private var startLine: (HTTP1Head.StartLine, HTTPVersion)?
    private var headers = HTTPHeaders()
    /// The last field line read, kept back until the next line shows it is not folded on.
    private var lastField: HTTPHeaders.Field?

    package init(role: Role, limits: HTTP1Limits = HTTP1Limits()) {
        self.role = role
        self.limits = limits
        // Room for a typical head at once rather than regrowing field by field.
        headers.reserveCapacity(16)
    }

    /// Returns the head and the bytes it used once `bytes` holds all of it, nil if more are needed.
    /// `bytes` must start where it started on the previous call.
    package mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) -> (HTTP1Head, Int)? {
        while let end = try lineEnd(bytes) {
            let line = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end])
            let next = end + 2
            if let (startLine, version) = startLine {
                if line.isEmpty {
                    // The final CRLF counts too, so the verdict never depends on where reads end.
                    if next > limits.maxHeadBytes { throw tooLarge() }
                    if let field = lastField.take() { headers.add(field.name, field.value) }
                    let head = HTTP1Head(startLine: startLine, version: version, headers: headers)
                    self = HTTP1HeadParser(role: role, limits: limits)
                    return (head, next)
                }
                if line.first == 0x20 || line.first == 0x09 {
                    // obs-fold: `lineEnd` let it through only after a field of a response.
                    try HTTP1HeadParser.fold(line, into: &lastField!)
                } else {
                    guard headers.count + (lastField == nil ? 0 : 1) < limits.maxHeaderCount else {
                        throw HTTPClientError.protocolViolation(
                            .headersTooLarge,
                            "The peer sent more than \(limits.maxHeaderCount) header fields."
                        )
                    }
                    if let field = lastField.take() { headers.add(field.name, field.value) }
                    lastField = try HTTP1HeadParser.parseField(line)
                }
            } else if !line.isEmpty {
                guard line.count <= limits.maxStartLineBytes else {
                    throw malformedStart("the start line is longer than \(limits.maxStartLineBytes) bytes")
                }
                startLine = try parseStartLine(line)
            }
            lineStart = next
            scanned = next
            if next > limits.maxHeadBytes { throw tooLarge() }
        }
        if bytes.count > limits.maxHeadBytes { throw tooLarge() }
        return nil
    }

    /// The offset of the CR that ends the current line, or nil if its CRLF has not arrived yet.
    private mutating func lineEnd(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) -> Int? {
        var index = scanned
        if index == lineStart, index < bytes.count, startLine != nil, bytes[index] == 0x20 || bytes[index] == 0x09 {
            if lastField == nil {
                throw HTTPClientError.protocolViolation(
                    .malformedHeader,
                    "The message head is malformed: whitespace between the start line and the first header field."
                )
            }
            if role == .request {
                throw HTTPClientError.protocolViolation(
                    .malformedHeader,
                    "The message head is malformed: a header line starts with whitespace (obs-fold is not allowed)."
                )
            }
        }
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A:
                throw violation("a line ends in a bare LF")
            case 0x0D:
                guard index + 1 < bytes.count else {
                    scanned = index
                    try checkStartLineLength(upTo: index)
                    return nil
                }
                guard bytes[index + 1] == 0x0A else { throw violation("a bare CR inside a line") }
                return index
            default:
                index += 1
            }
        }
        scanned = index
        try checkStartLineLength(upTo: index)
        return nil
    }

    /// Fails as soon as an unfinished start line is over its limit, wherever the read ended.
    private func checkStartLineLength(upTo index: Int) throws(HTTPClientError) {
        if startLine == nil && index - lineStart > limits.maxStartLineBytes {
            throw malformedStart("the start line is longer than \(limits.maxStartLineBytes) bytes")
        }
    }

    private func parseStartLine(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTPClientError) -> (HTTP1Head.StartLine, HTTPVersion) {
        switch role {
        case .response: return try parseStatusLine(line)
        case .request: return try parseRequestLine(line)
        }
    }

    /// status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]; a missing final SP is tolerated.
    private func parseStatusLine(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTPClientError) -> (HTTP1Head.StartLine, HTTPVersion) {
        let text = { String(decoding: line.prefix(200), as: UTF8.self).debugDescription }
        guard line.count >= 12, let version = HTTP1HeadParser.version(UnsafeRawBufferPointer(rebasing: line[0..<8])),
            line[8] == 0x20
        else {
            throw malformedStart("the status line \(text()) is not \"HTTP/1.x NNN reason\"")
        }
        var code = 0
        for index in 9..<12 {
            let digit = line[index]
            guard digit >= 0x30 && digit <= 0x39 else {
                throw malformedStart("the status code in \(text()) is not three digits")
            }
            code = code * 10 + Int(digit - 0x30)
        }
        guard code >= 100 else { throw malformedStart("the status code in \(text()) is below 100") }
        var reason = ""
        if line.count > 12 {
            guard line[12] == 0x20 else { throw malformedStart("the status code in \(text()) is not three digits") }
            let phrase = UnsafeRawBufferPointer(rebasing: line[13...])
            guard phrase.allSatisfy(HTTPSyntax.isFieldValueCharacter) else {
                throw malformedStart("the reason phrase in \(text()) contains a control character")
            }
            reason = String(decoding: phrase, as: UTF8.self)
        }
        return (.status(HTTPStatus(code: code, reasonPhrase: reason)), version)
    }

    /// request-line = method SP request-target SP HTTP-version
    private func parseRequestLine(
        _ line: UnsafeRawBufferPointer
    ) throws(HTTPClientError) -> (HTTP1Head.StartLine, HTTPVersion) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[0].allSatisfy(HTTPSyntax.isTokenCharacter), !parts[1].isEmpty,
            parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }),
            let version = HTTP1HeadParser.version(UnsafeRawBufferPointer(rebasing: parts[2]))
        else {
            throw HTTPClientError.protocolViolation(
                .malformedRequestLine,
                "The request line \(String(decoding: line.prefix(200), as: UTF8.self).debugDescription) is malformed."
            )
        }
        let method = HTTPMethod(rawValue: String(decoding: parts[0], as: UTF8.self))
        return (.request(method: method, target: String(decoding: parts[1], as: UTF8.self)), version)
    }

    /// HTTP/1.0, or HTTP/1.1 for any later minor version: RFC 9110 §2.5 says a recipient
    /// should read a higher minor version as the highest it conforms to.
    private static func version(_ bytes: UnsafeRawBufferPointer) -> HTTPVersion? {
        guard bytes.count == 8, bytes.starts(with: "HTTP/1.".utf8) else { return nil }
        switch bytes[7] {
        case UInt8(ascii: "0"): return .http1_0
        case UInt8(ascii: "1")...UInt8(ascii: "9"): return .http1_1
        default: return nil
        }
    }

    /// Appends a folded line's text to `field`'s value, the fold itself (CRLF and the line's
    /// leading whitespace) becoming one space.
    private static func fold(
        _ line: UnsafeRawBufferPointer, into field: inout HTTPHeaders.Field
    ) throws(HTTPClientError) {
        let text = withoutOWS(line, from: 0)
        guard text.allSatisfy(HTTPSyntax.isFieldValueCharacter) else {
            throw HTTPClientError.protocolViolation(
                .malformedHeader, "The folded value of header \(field.name) contains a control character.")
        }
        guard !text.isEmpty else { return }
        let continued = String(decoding: text, as: UTF8.self)
        field = HTTPHeaders.Field(
            name: field.name, value: field.value.isEmpty ? continued : field.value + " " + continued)
    }

    /// `line` from `start` without the spaces and tabs at either end.
    private static func withoutOWS(_ line: UnsafeRawBufferPointer, from start: Int) -> UnsafeRawBufferPointer {
        var start = start
        var end = line.count
        while start < end && (line[start] == 0x20 || line[start] == 0x09) { start += 1 }
        while end > start && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: line[start..<end])
    }

    /// field-line = field-name ":" OWS field-value OWS
    package static func parseField(_ line: UnsafeRawBufferPointer) throws(HTTPClientError) -> HTTPHeaders.Field {
        let text = { String(decoding: line.prefix(200), as: UTF8.self).debugDescription }
        if line.first == 0x20 || line.first == 0x09 {
            throw HTTPClientError.protocolViolation(
                .malformedHeader, "The header line \(text()) is folded (obs-fold), which is not allowed.")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPClientError.protocolViolation(.malformedHeader, "The header line \(text()) has no colon.")
        }
        let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenCharacter) else {
            throw HTTPClientError.protocolViolation(
                .malformedHeader, "The header name in \(text()) is not a valid token.")
        }
        let value = withoutOWS(line, from: colon + 1)
        guard value.allSatisfy(HTTPSyntax.isFieldValueCharacter) else {
            throw HTTPClientError.protocolViolation(
                .malformedHeader, "The value of header line \(text()) contains a control character.")
        }
        return HTTPHeaders.Field(
            name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    private func tooLarge() -> HTTPClientError {
        HTTPClientError.protocolViolation(
            .headersTooLarge, "The message head is larger than \(limits.maxHeadBytes) bytes.")
    }

    private func violation(_ reason: String) -> HTTPClientError {
        guard startLine != nil else { return malformedStart(reason) }
        return HTTPClientError.protocolViolation(.malformedHeader, "The message head is malformed: \(reason).")
    }

    private func malformedStart(_ reason: String) -> HTTPClientError {
        switch role {
        case .response: HTTPClientError.protocolViolation(.malformedStatusLine, "Malformed response: \(reason).")
        case .request: HTTPClientError.protocolViolation(.malformedRequestLine, "Malformed request: \(reason).")
        }
    }
}
