package import CourierCore

/// What a close frame carries (RFC 6455 §5.5.1): nothing, or a status code and a UTF-8 reason.
package struct WebSocketClosePayload: Hashable, Sendable {
    /// The status code, nil for an empty close frame (reported to the application as 1005).
    package let code: WebSocketCloseCode?
    /// Text for people, possibly empty; always empty without a code.
    package let reason: String

    /// A close frame's payload is at most 125 octets (§5.5), two of them the code.
    package static let maxReasonLength = 123

    /// A close frame without a status code.
    package static let empty = WebSocketClosePayload(checkedCode: nil, reason: "")

    private init(checkedCode code: WebSocketCloseCode?, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// A close with `code` and `reason`, cut to its longest prefix of whole Unicode scalars that
    /// fits ``maxReasonLength`` octets: the reason is advisory, and a close must always be
    /// sendable. The caller checks ``WebSocketCloseCode/mayBeSent`` first.
    package init(code: WebSocketCloseCode, reason: String) {
        var length = 0
        var scalars = String.UnicodeScalarView()
        for scalar in reason.unicodeScalars {
            length += UTF8.width(scalar)
            guard length <= WebSocketClosePayload.maxReasonLength else { break }
            scalars.append(scalar)
        }
        self.init(checkedCode: code, reason: String(scalars))
    }

    /// Reads a received close frame's payload: empty; or a code that may be sent (§7.4) and a
    /// valid UTF-8 reason.
    ///
    /// - Throws: 1002 for a one-octet payload or a code that must not be sent, 1007 for a reason
    ///   that is not UTF-8.
    package init(parsing payload: ByteBuffer) throws(WebSocketProtocolError) {
        guard !payload.isEmpty else {
            self = .empty
            return
        }
        guard payload.count >= 2 else { throw .closePayloadTooShort }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.mayBeSent else { throw .invalidCloseCode(code.rawValue) }
        let reason = payload.slice(from: 2, count: payload.count - 2)
        var validator = WebSocketUTF8Validator()
        guard validator.validate(reason), validator.isComplete else { throw .invalidCloseReason }
        self.init(checkedCode: code, reason: String(decoding: reason, as: UTF8.self))
    }

    /// The payload's octets: empty, or the code in network byte order and the reason.
    package var bytes: [UInt8] {
        guard let code else { return [] }
        return [UInt8(code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)] + Array(reason.utf8)
    }
}
