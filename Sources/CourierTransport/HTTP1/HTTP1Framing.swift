package import CourierCore

/// How a message body is delimited on the wire (RFC 9112 §6.3).
package enum HTTP1Framing: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
    /// The body runs until the server closes the connection (responses only).
    case untilClose

    /// The framing of a response to a request with `method`.
    ///
    /// A 101 is only valid as the answer to a request that asked to upgrade (RFC 9110 §15.2.2).
    package static func response(
        to method: HTTPMethod, head: HTTP1Head, requestedUpgrade: Bool = false
    ) throws(HTTPClientError) -> HTTP1Framing {
        guard case .status(let status) = head.startLine else { preconditionFailure("not a response head") }
        if status.code == 101 && !requestedUpgrade {
            throw HTTPClientError.protocolViolation(
                .unsolicitedUpgrade,
                "The server switched protocols (101) although the request did not ask to upgrade."
            )
        }
        if method == .head || status.isInformational || status.code == 204 || status.code == 304 {
            return .none
        }
        return try framing(of: head.headers, isResponse: true)
    }

    /// The framing of a request body; a request with neither header has none.
    package static func request(_ head: HTTP1Head) throws(HTTPClientError) -> HTTP1Framing {
        try framing(of: head.headers, isResponse: false)
    }

    /// One pass over the fields, allocating nothing unless the message is refused.
    private static func framing(of headers: HTTPHeaders, isResponse: Bool) throws(HTTPClientError) -> HTTP1Framing {
        var hasTransferEncoding = false
        var hasContentLength = false
        for field in headers.fields {
            if field.name.equalsIgnoringASCIICase("Transfer-Encoding") {
                hasTransferEncoding = true
            } else if field.name.equalsIgnoringASCIICase("Content-Length") {
                hasContentLength = true
            }
        }
        if hasTransferEncoding {
            guard !hasContentLength else {
                throw HTTPClientError.protocolViolation(
                    .conflictingFraming,
                    "The message has both Transfer-Encoding and Content-Length, a sign of request smuggling; it is rejected."
                )
            }
            return try transferCoding(of: headers, isResponse: isResponse)
        }
        guard hasContentLength else { return isResponse ? .untilClose : .none }
        var length: Int?
        for field in headers.fields where field.name.equalsIgnoringASCIICase("Content-Length") {
            for text in ListElements(field.value, omittingEmpty: false) {
                guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(text) else {
                    throw HTTPClientError.protocolViolation(
                        .invalidContentLength,
                        "Content-Length \(String(text).debugDescription) is not a non-negative integer."
                    )
                }
                if let length, length != parsed {
                    throw HTTPClientError.protocolViolation(
                        .invalidContentLength,
                        "The message has conflicting Content-Length values \(length) and \(parsed)."
                    )
                }
                length = parsed
            }
        }
        return .contentLength(length!)
    }

    /// RFC 9112 §6.3: chunked as the final coding frames the body. A response whose final coding is
    /// anything else runs until the server closes — the connection is then never reused, so a
    /// coding Courier cannot decode cannot desynchronise it — and its other codings reach the
    /// caller still applied, named by the Transfer-Encoding field it keeps, as llhttp and OkHttp
    /// do. A request so framed has no reliable length at all and is refused.
    private static func transferCoding(
        of headers: HTTPHeaders, isResponse: Bool
    ) throws(HTTPClientError) -> HTTP1Framing {
        var chunkedCount = 0
        var lastIsChunked: Bool?
        for field in headers.fields where field.name.equalsIgnoringASCIICase("Transfer-Encoding") {
            for coding in ListElements(field.value) {
                // transfer-coding = token *( OWS ";" OWS transfer-parameter ) (RFC 9112 §7): a
                // name that is no token (an obs-fold joined "chunked" to more words, say) is not
                // a coding to run the body until close for.
                let name = coding.prefix { $0 != ";" }.trimmingWhitespace()
                guard !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isTokenCharacter) else {
                    throw HTTPClientError.protocolViolation(
                        .unsupportedTransferEncoding,
                        "Transfer-Encoding \(String(coding).debugDescription) is not a transfer coding.")
                }
                let chunked = coding.equalsIgnoringASCIICase("chunked")
                if chunked { chunkedCount += 1 }
                lastIsChunked = chunked
            }
        }
        switch lastIsChunked {
        case true? where chunkedCount == 1: return .chunked
        case false? where isResponse: return .untilClose
        case true?, false?, nil:
            let transferEncodings = headers.values(for: "Transfer-Encoding")
            throw HTTPClientError.protocolViolation(
                .unsupportedTransferEncoding,
                "Transfer-Encoding \(transferEncodings.joined(separator: ", ").debugDescription) does not frame the message: chunked must be the final coding, applied once."
            )
        }
    }
}
