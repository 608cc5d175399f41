/// Why the peer's frames break RFC 6455 or RFC 7692, with the close code to fail the connection
/// with (§7.1.7, §7.4.1).
///
/// After any of these the connection is failed: a close frame with ``closeCode`` is sent if
/// possible, nothing more from the peer is processed (§7.1.7), and the TCP connection is closed.
package enum WebSocketProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// RSV2 or RSV3 set, or RSV1 without permessage-deflate negotiated (§5.2): `bits` are the
    /// three reserved bits, RSV1 the highest.
    case reservedBits(UInt8, opcode: WebSocketOpcode)
    /// RSV1 on a continuation or control frame: RFC 7692 §6.1 allows it only on the first frame of
    /// a data message.
    case compressedBitMisplaced(WebSocketOpcode)
    /// An opcode RFC 6455 reserves (§5.2).
    case unknownOpcode(UInt8)
    /// A control frame with more than 125 octets of payload (§5.5).
    case controlFrameTooLong(WebSocketOpcode, length: UInt64)
    /// A control frame without FIN (§5.5).
    case fragmentedControlFrame(WebSocketOpcode)
    /// A server received an unmasked frame (§5.1).
    case unmaskedFrame
    /// A client received a masked frame (§5.1).
    case maskedFrame
    /// A 64-bit payload length with its most significant bit set (§5.2).
    case lengthOutOfRange
    /// A frame's payload is longer than this end accepts.
    case frameTooLarge(length: UInt64, limit: Int)
    /// A continuation frame with no fragmented message open (§5.4).
    case unexpectedContinuation
    /// A text or binary frame while a fragmented message is still open (§5.4).
    case expectedContinuation(WebSocketOpcode)
    /// A message (after decompression, if compressed) is longer than this end accepts.
    case messageTooLarge(limit: Int)
    /// A text message is not valid UTF-8 (§8.1): detected at the first invalid octet.
    case invalidUTF8
    /// A compressed message's payload is not valid DEFLATE data (RFC 7692 §7.2.2). Answered with
    /// 1007, the code for payload data inconsistent with the message's type (§7.4.1).
    case invalidCompressedData(String)
    /// A close frame with a one-octet payload, too short for a status code (§5.5.1).
    case closePayloadTooShort
    /// A close frame with a status code that must not be sent (§7.4).
    case invalidCloseCode(UInt16)
    /// A close frame whose reason is not valid UTF-8 (§5.5.1).
    case invalidCloseReason
    /// The peer sends pings faster than it reads the pongs it asks for.
    case controlFrameFlood

    /// The status code of the close frame that fails the connection.
    package var closeCode: WebSocketCloseCode {
        switch self {
        case .frameTooLarge, .messageTooLarge: .messageTooBig
        case .invalidUTF8, .invalidCompressedData, .invalidCloseReason: .invalidFramePayloadData
        case .controlFrameFlood: .policyViolation
        case .reservedBits, .compressedBitMisplaced, .unknownOpcode, .controlFrameTooLong, .fragmentedControlFrame,
            .unmaskedFrame, .maskedFrame, .lengthOutOfRange, .unexpectedContinuation, .expectedContinuation,
            .closePayloadTooShort, .invalidCloseCode:
            .protocolError
        }
    }

    package var description: String {
        switch self {
        case .reservedBits(let bits, let opcode):
            "a \(opcode) frame sets reserved bits \(String(bits, radix: 2)) that no extension allows"
        case .compressedBitMisplaced(let opcode): "a \(opcode) frame sets RSV1, allowed only on a message's first frame"
        case .unknownOpcode(let opcode): "a frame has the reserved opcode \(opcode)"
        case .controlFrameTooLong(let opcode, let length): "a \(opcode) frame carries \(length) octets, over 125"
        case .fragmentedControlFrame(let opcode): "a \(opcode) frame is fragmented"
        case .unmaskedFrame: "a client sent an unmasked frame"
        case .maskedFrame: "a server sent a masked frame"
        case .lengthOutOfRange: "a frame's 64-bit length has its most significant bit set"
        case .frameTooLarge(let length, let limit): "a frame carries \(length) octets, over the limit of \(limit)"
        case .unexpectedContinuation: "a continuation frame follows no fragmented message"
        case .expectedContinuation(let opcode): "a \(opcode) frame interrupts a fragmented message"
        case .messageTooLarge(let limit): "a message is larger than the limit of \(limit) octets"
        case .invalidUTF8: "a text message is not valid UTF-8"
        case .invalidCompressedData(let reason): "a compressed message is not valid DEFLATE data: \(reason)"
        case .closePayloadTooShort: "a close frame carries one octet, too short for a status code"
        case .invalidCloseCode(let code): "a close frame carries the status code \(code), which must not be sent"
        case .invalidCloseReason: "a close frame's reason is not valid UTF-8"
        case .controlFrameFlood:
            "the peer sent more than \(WebSocketConnection.maxPendingControlFrames) pings without reading the pongs"
        }
    }
}
