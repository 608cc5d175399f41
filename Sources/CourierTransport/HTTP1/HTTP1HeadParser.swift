package import CourierCore

/// Parses an HTTP/1.x message head (RFC 9112 §2–5) strictly: lines end in CRLF (a bare CR or
/// LF is an error), no whitespace before a field's colon, no obs-fold, no control characters
/// in values. Strictness here is what stops response splitting and smuggling.
///
/// Incremental: `parse` is called each time more bytes arrive and only rescans new bytes
/// while looking for the end of the head.
package struct HTTP1HeadParser {
    package enum Role: Sendable {
        /// Parse request lines (the test server).
        case request
        /// Parse status lines (the client).
        case response
    }

    private let role: Role
    private let limits: HTTP1Limits
    /// Bytes already scanned for the blank line that ends the head.
    private var scanned = 0

    package init(role: Role, limits: HTTP1Limits = HTTP1Limits()) {
        self.role = role
        self.limits = limits
    }

    /// Returns the head and the bytes it used once `bytes` holds all of it, nil if more are needed.
    package mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) -> (HTTP1Head, Int)? {
        guard let end = try findEnd(bytes) else {
            if bytes.count > limits.maxHeadBytes { throw tooLarge() }
            return nil
        }
        scanned = 0
        if end > limits.maxHeadBytes { throw tooLarge() }
        return (try parseHead(UnsafeRawBufferPointer(rebasing: bytes[0..<end])), end)
    }

    /// Finds the index just past CRLF CRLF, checking that every LF follows a CR.
    private mutating func findEnd(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) -> Int? {
        var index = scanned
        while index < bytes.count {
            guard let offset = UnsafeRawBufferPointer(rebasing: bytes[index...]).firstIndex(of: 0x0A) else {
                scanned = bytes.count
                return nil
            }
            let lf = index + offset
            guard lf > 0, bytes[lf - 1] == 0x0D else { throw violation("a line ends in a bare LF") }
            // An empty line: CRLF right after the previous LF (or at the very start, which is an error).
            if lf == 1 { throw malformedStart("the message starts with an empty line") }
            if lf >= 3 && bytes[lf - 2] == 0x0A { return lf + 1 }
            index = lf + 1
        }
        scanned = bytes.count
        return nil
    }

    private func parseHead(_ head: UnsafeRawBufferPointer) throws(HTTPClientError) -> HTTP1Head {
        var lines = LineIterator(head)
        guard let first = lines.next() else { throw malformedStart("the start line is empty") }
        let (startLine, version) = try parseStartLine(first)
        var headers = HTTPHeaders()
        while let line = lines.next(), !line.isEmpty {
            guard headers.count < limits.maxHeaderCount else {
                throw HTTPClientError.protocolViolation(
                    .headersTooLarge,
                    "The peer sent more than \(limits.maxHeaderCount) header fields."
                )
            }
            let field = try parseField(line)
            headers.add(field.name, field.value)
        }
        return HTTP1Head(startLine: startLine, version: version, headers: headers)
    }

    private func parseStartLine(_ line: UnsafeRawBufferPointer) throws(HTTPClientError) -> (HTTP1Head.StartLine, HTTPVersion) {
        switch role {
        case .response: return try parseStatusLine(line)
        case .request: return try parseRequestLine(line)
        }
    }

    /// status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]; a missing final SP is tolerated.
    private func parseStatusLine(_ line: UnsafeRawBufferPointer) throws(HTTPClientError) -> (HTTP1Head.StartLine, HTTPVersion) {
        let text = { String(decoding: line.prefix(200), as: UTF8.self).debugDescription }
        guard line.count >= 12, let version = HTTP1HeadParser.version(UnsafeRawBufferPointer(rebasing: line[0..<8])),
            line[8] == 0x20
        else {
            throw malformedStart("the status line \(text()) is not \"HTTP/1.x NNN reason\"")
        }
        var code = 0
        for index in 9..<12 {
            let digit = line[index]
            guard digit >= 0x30 && digit <= 0x39 else { throw malformedStart("the status code in \(text()) is not three digits") }
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
    private func parseRequestLine(_ line: UnsafeRawBufferPointer) throws(HTTPClientError) -> (HTTP1Head.StartLine, HTTPVersion) {
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

    private static func version(_ bytes: UnsafeRawBufferPointer) -> HTTPVersion? {
        guard bytes.count == 8, bytes.starts(with: "HTTP/1.".utf8) else { return nil }
        switch bytes[7] {
        case UInt8(ascii: "0"): return .http1_0
        case UInt8(ascii: "1"): return .http1_1
        default: return nil
        }
    }

    /// field-line = field-name ":" OWS field-value OWS
    private func parseField(_ line: UnsafeRawBufferPointer) throws(HTTPClientError) -> HTTPHeaders.Field {
        try HTTP1HeadParser.parseField(line)
    }

    package static func parseField(_ line: UnsafeRawBufferPointer) throws(HTTPClientError) -> HTTPHeaders.Field {
        let text = { String(decoding: line.prefix(200), as: UTF8.self).debugDescription }
        if line.first == 0x20 || line.first == 0x09 {
            throw HTTPClientError.protocolViolation(.malformedHeader, "The header line \(text()) is folded (obs-fold), which is not allowed.")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPClientError.protocolViolation(.malformedHeader, "The header line \(text()) has no colon.")
        }
        let name = UnsafeRawBufferPointer(rebasing: line[0..<colon])
        guard !name.isEmpty, name.allSatisfy(HTTPSyntax.isTokenCharacter) else {
            throw HTTPClientError.protocolViolation(.malformedHeader, "The header name in \(text()) is not a valid token.")
        }
        var start = colon + 1
        var end = line.count
        while start < end && (line[start] == 0x20 || line[start] == 0x09) { start += 1 }
        while end > start && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[start..<end])
        guard value.allSatisfy(HTTPSyntax.isFieldValueCharacter) else {
            throw HTTPClientError.protocolViolation(.malformedHeader, "The value of header line \(text()) contains a control character.")
        }
        return HTTPHeaders.Field(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
    }

    private func tooLarge() -> HTTPClientError {
        HTTPClientError.protocolViolation(.headersTooLarge, "The message head is larger than \(limits.maxHeadBytes) bytes.")
    }

    private func violation(_ reason: String) -> HTTPClientError {
        HTTPClientError.protocolViolation(.malformedHeader, "The message head is malformed: \(reason).")
    }

    private func malformedStart(_ reason: String) -> HTTPClientError {
        switch role {
        case .response: HTTPClientError.protocolViolation(.malformedStatusLine, "Malformed response: \(reason).")
        case .request: HTTPClientError.protocolViolation(.malformedRequestLine, "Malformed request: \(reason).")
        }
    }
}

/// Splits a head into its lines without their CRLF. A CR anywhere else is reported by leaving
/// it in the line, where the field and start-line checks reject it as a control character.
private struct LineIterator {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard position < bytes.count,
            let offset = UnsafeRawBufferPointer(rebasing: bytes[position...]).firstIndex(of: 0x0A)
        else { return nil }
        let lf = position + offset
        let line = UnsafeRawBufferPointer(rebasing: bytes[position..<(lf - 1)])
        position = lf + 1
        return line
    }
}
