/// The 2 to 14 octets before a frame's payload (RFC 6455 §5.2), read and written exactly.
///
/// Reading checks only what makes the octets unreadable as a header: a reserved opcode and a
/// 64-bit length with its top bit set. Which bits and lengths a role or the negotiated
/// extensions allow is the decoder's business. Non-minimal length encodings (a 126 marker for a
/// length under 126, say) are accepted: §5.2 says the minimal number of bytes "MUST" be used,
/// but the length read is unambiguous, and Autobahn and browsers accept them too.
package struct WebSocketFrameHeader: Hashable, Sendable {
    package var fin: Bool
    /// RSV1, RSV2 and RSV3 as the low three bits: RSV1 is `0b100`.
    package var reservedBits: UInt8
    package var opcode: WebSocketOpcode
    /// The masking key, whose big-endian octets are the four on the wire; nil for an unmasked frame.
    package var maskKey: UInt32?
    package var payloadLength: UInt64

    /// RSV1, the bit permessage-deflate uses (RFC 7692 §6).
    package static let rsv1: UInt8 = 0b100
    /// The longest header: 2 octets, an 8-octet length and a 4-octet masking key.
    package static let maxEncodedLength = 14
    /// The largest length the 7-bit field holds; 126 and 127 announce 16- and 64-bit lengths.
    private static let shortLengthLimit: UInt64 = 125

    package init(
        fin: Bool, reservedBits: UInt8 = 0, opcode: WebSocketOpcode, maskKey: UInt32?, payloadLength: UInt64
    ) {
        self.fin = fin
        self.reservedBits = reservedBits
        self.opcode = opcode
        self.maskKey = maskKey
        self.payloadLength = payloadLength
    }

    /// The octets the header takes, with the shortest length encoding (what ``encode(into:)``
    /// writes).
    package var encodedLength: Int {
        let lengthOctets =
            switch payloadLength {
            case 0...Self.shortLengthLimit: 0
            case 0...UInt64(UInt16.max): 2
            default: 8
            }
        return 2 + lengthOctets + (maskKey == nil ? 0 : 4)
    }

    /// Appends the header with the shortest length encoding.
    package func encode(into output: inout [UInt8]) {
        output.append((fin ? 0x80 : 0) | (reservedBits & 0b111) << 4 | opcode.rawValue)
        let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
        switch payloadLength {
        case 0...Self.shortLengthLimit:
            output.append(maskBit | UInt8(payloadLength))
        case 0...UInt64(UInt16.max):
            output.append(maskBit | 126)
            output.append(UInt8(payloadLength >> 8))
            output.append(UInt8(truncatingIfNeeded: payloadLength))
        default:
            output.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                output.append(UInt8(truncatingIfNeeded: payloadLength >> UInt64(shift)))
            }
        }
        if let maskKey {
            for shift in stride(from: 24, through: 0, by: -8) {
                output.append(UInt8(truncatingIfNeeded: maskKey >> UInt32(shift)))
            }
        }
    }

    /// The header at the start of `bytes` and its length in octets, or nil when more octets are
    /// needed. A reserved opcode fails as soon as the first octet is there.
    package static func parse(
        _ bytes: UnsafeRawBufferPointer
    ) throws(WebSocketProtocolError) -> (header: WebSocketFrameHeader, length: Int)? {
        guard let first = bytes.first else { return nil }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else { throw .unknownOpcode(first & 0x0F) }
        guard bytes.count >= 2 else { return nil }
        let masked = bytes[1] & 0x80 != 0
        let lengthOctets =
            switch bytes[1] & 0x7F {
            case 126: 2
            case 127: 8
            default: 0
            }
        let length = 2 + lengthOctets + (masked ? 4 : 0)
        guard bytes.count >= length else { return nil }
        var payloadLength = UInt64(bytes[1] & 0x7F)
        if lengthOctets > 0 {
            payloadLength = bytes[2..<(2 + lengthOctets)].reduce(0) { $0 << 8 | UInt64($1) }
            guard payloadLength >> 63 == 0 else { throw .lengthOutOfRange }
        }
        let maskKey =
            masked ? bytes[(length - 4)..<length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } : nil
        let header = WebSocketFrameHeader(
            fin: first & 0x80 != 0, reservedBits: first >> 4 & 0b111, opcode: opcode, maskKey: maskKey,
            payloadLength: payloadLength)
        return (header, length)
    }
}
