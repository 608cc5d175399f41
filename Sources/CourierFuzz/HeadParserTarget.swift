import CourierCore
import CourierTransport

/// `HTTP1HeadParser` in both roles: the client's status lines and the test server's request
/// lines.
///
/// Input: a control byte (bit 0: request role; bit 1: tight limits, so the fuzzer reaches every
/// limit with short inputs), a segmentation byte, then the bytes a peer sent.
///
/// Invariants: the outcome does not depend on how the bytes were cut into reads; a head ends
/// with an empty line inside the bytes given and respects the limits; every name is a token and
/// every value is free of control characters and surrounding whitespace; the head serialises and
/// parses back to itself; framing is decided without trapping; the parser is reusable after a
/// head.
enum HeadParserTarget {
    /// What the parser made of the bytes: an error is one class, whatever its message.
    private enum Outcome: Equatable {
        case needMore
        case head(HTTP1Head, used: Int)
        case failed
    }

    /// Small enough that short inputs hit every bound, large enough for a real start line.
    private static let tightLimits = HTTP1Limits(
        maxHeadBytes: 200, maxStartLineBytes: 40, maxHeaderCount: 4, maxChunkLineBytes: 32)

    /// Room for any head the fuzzer can make, so a round trip is never refused for its size.
    private static let roomyLimits = HTTP1Limits(
        maxHeadBytes: 1 << 30, maxStartLineBytes: 1 << 30, maxHeaderCount: 1 << 30, maxChunkLineBytes: 1 << 30)

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let cuts = input.byte()
        let role: HTTP1HeadParser.Role = control & 1 == 0 ? .response : .request
        let limits = control & 2 == 0 ? HTTP1Limits() : tightLimits
        let message = input.rest()

        var whole = HTTP1HeadParser(role: role, limits: limits)
        let wholeOutcome = feed(message, in: [message.count], to: &whole)
        var segmentation = Segmentation(control: cuts, length: message.count)
        var split = HTTP1HeadParser(role: role, limits: limits)
        let splitOutcome = feed(message, in: segmentation.pieces(of: message.count), to: &split)
        require(
            wholeOutcome == splitOutcome,
            "the outcome depends on how the head was cut into reads: whole \(wholeOutcome), in pieces \(splitOutcome)"
        )

        guard case .head(let head, let used) = wholeOutcome else { return }
        checkHead(head, used: used, message: message, role: role, limits: limits)
        checkRoundTrip(head, role: role)

        // The parser starts over after a head, as pipelined messages and 1xx responses need.
        let rest = UnsafeRawBufferPointer(rebasing: message[used...])
        var fresh = HTTP1HeadParser(role: role, limits: limits)
        let reused = feed(rest, in: [rest.count], to: &whole)
        let anew = feed(rest, in: [rest.count], to: &fresh)
        require(reused == anew, "a parser reused after a head differs from a new one: \(reused) vs \(anew)")
    }

    /// Offers the parser growing prefixes of `bytes`, as a connection does after each read.
    private static func feed(
        _ bytes: UnsafeRawBufferPointer, in pieces: [Int], to parser: inout HTTP1HeadParser
    ) -> Outcome {
        var available = 0
        for piece in pieces where piece > 0 || pieces.count == 1 {
            available += piece
            do {
                if let (head, used) = try parser.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<available])) {
                    require(used > 0 && used <= available, "used \(used) of \(available) bytes")
                    return .head(head, used: used)
                }
            } catch {
                checkError(error)
                return .failed
            }
        }
        return .needMore
    }

    /// A head parser rejects with a protocol violation that names a head problem, nothing else.
    private static func checkError(_ error: HTTPClientError) {
        switch error.kind {
        case .protocolViolation(.malformedStatusLine), .protocolViolation(.malformedRequestLine),
            .protocolViolation(.malformedHeader), .protocolViolation(.headersTooLarge):
            break
        default:
            require(false, "the head parser threw an unexpected kind of error: \(error)")
        }
    }

    private static func checkHead(
        _ head: HTTP1Head, used: Int, message: UnsafeRawBufferPointer, role: HTTP1HeadParser.Role,
        limits: HTTP1Limits
    ) {
        require(used >= 4 && message[(used - 4)..<used].elementsEqual("\r\n\r\n".utf8), "a head ends in CRLF CRLF")
        require(used <= limits.maxHeadBytes, "a head of \(used) bytes exceeds maxHeadBytes \(limits.maxHeadBytes)")
        require(
            head.headers.count <= limits.maxHeaderCount,
            "\(head.headers.count) fields exceed maxHeaderCount \(limits.maxHeaderCount)")
        require(head.version == .http1_0 || head.version == .http1_1, "HTTP/1 parser returned \(head.version)")
        for field in head.headers.fields {
            require(
                !field.name.isEmpty && field.name.utf8.allSatisfy(HTTPSyntax.isTokenCharacter),
                "field name \(escaped(field.name.utf8)) is not a token")
            require(
                field.value.utf8.allSatisfy(HTTPSyntax.isFieldValueCharacter),
                "field value \(escaped(field.value.utf8)) holds a control character")
            let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
            require(
                !(field.value.utf8.first.map(isWhitespace) ?? false)
                    && !(field.value.utf8.last.map(isWhitespace) ?? false),
                "field value \(escaped(field.value.utf8)) keeps surrounding whitespace")
        }
        switch (role, head.startLine) {
        case (.response, .status(let status)):
            require((100...999).contains(status.code), "status code \(status.code)")
            require(
                status.reasonPhrase.utf8.allSatisfy(HTTPSyntax.isFieldValueCharacter),
                "reason phrase \(escaped(status.reasonPhrase.utf8)) holds a control character")
            // Framing and keep-alive are decided from every head the client accepts.
            for method in [HTTPMethod.get, .head] {
                for upgrade in [false, true] {
                    checkFraming { () throws(HTTPClientError) in
                        try HTTP1Framing.response(to: method, head: head, requestedUpgrade: upgrade)
                    }
                }
            }
        case (.request, .request(let method, let target)):
            require(
                !method.rawValue.isEmpty && method.rawValue.utf8.allSatisfy(HTTPSyntax.isTokenCharacter),
                "method \(escaped(method.rawValue.utf8)) is not a token")
            require(
                !target.isEmpty && target.utf8.allSatisfy { $0 > 0x20 && $0 != 0x7F },
                "request target \(escaped(target.utf8)) is empty or holds whitespace")
            checkFraming { () throws(HTTPClientError) in try HTTP1Framing.request(head) }
        default:
            require(false, "a \(role) parser returned the start line \(head.startLine)")
        }
        _ = head.keepAlive
    }

    private static func checkFraming(_ decide: () throws(HTTPClientError) -> HTTP1Framing) {
        do {
            if case .contentLength(let length) = try decide() {
                require(length >= 0, "negative Content-Length \(length)")
            }
        } catch {
            guard case .protocolViolation = error.kind else {
                require(false, "framing threw an unexpected kind of error: \(error)")
                return
            }
        }
    }

    /// What the parser accepted, the serializer writes back, and parsing that gives the same head
    /// (but for the version: the serializer always writes HTTP/1.1).
    private static func checkRoundTrip(_ head: HTTP1Head, role: HTTP1HeadParser.Role) {
        let written: ByteBuffer
        do {
            switch head.startLine {
            case .status(let status):
                written = try HTTP1Serializer.responseHead(status: status, headers: head.headers)
            case .request(let method, let target):
                written = try HTTP1Serializer.requestHead(method: method, target: target, headers: head.headers)
            }
        } catch {
            require(false, "the serializer refuses a head the parser accepted: \(error)")
            return
        }
        var parser = HTTP1HeadParser(role: role, limits: roomyLimits)
        let reparsed = written.withUnsafeBytes { bytes in feed(bytes, in: [bytes.count], to: &parser) }
        var expected = head
        expected.version = .http1_1
        require(
            reparsed == .head(expected, used: written.count),
            "the head does not survive serialising and parsing: \(head) became \(reparsed) via \(escaped(written))")
    }
}
