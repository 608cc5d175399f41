package import CourierCore

/// Checks that a text message is UTF-8 (RFC 6455 §8.1) as its octets arrive, in chunks split
/// anywhere, failing at the first octet that no valid continuation could follow.
///
/// Strict in the sense of RFC 3629 and Unicode's table 3-7: no overlong forms (C0, C1, E0 80–9F,
/// F0 80–8F), no surrogates (ED A0–BF), nothing above U+10FFFF (F4 90–BF, F5–FF). Each lead
/// octet narrows the range of the octet after it, so every one of these fails on the octet that
/// makes it invalid, not at the end of the sequence or of the message: a peer streaming a long
/// fragmented message with one bad octet early is stopped early (Autobahn case 6.4).
package struct WebSocketUTF8Validator: Sendable {
    /// Continuation octets the current sequence still needs.
    private var remaining = 0
    /// The range the next continuation octet must fall in.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    private var failed = false

    package init() {}

    /// Whether the octets so far end on a character boundary: a message whose last fragment leaves
    /// this false ends in a truncated sequence.
    package var isComplete: Bool { remaining == 0 && !failed }

    /// Takes the next chunk; false at the first invalid octet, and from then on.
    package mutating func validate(_ chunk: ByteBuffer) -> Bool {
        chunk.withUnsafeBytes { validate($0) }
    }

    /// Takes the next chunk; false at the first invalid octet, and from then on.
    package mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !failed else { return false }
        var index = 0
        while index < bytes.count {
            if remaining == 0 {
                // ASCII runs, the common case, eight octets at a time.
                while index + 8 <= bytes.count,
                    bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                }
                guard index < bytes.count else { break }
                guard start(bytes[index]) else {
                    failed = true
                    return false
                }
            } else {
                let byte = bytes[index]
                guard byte >= lower && byte <= upper else {
                    failed = true
                    return false
                }
                remaining -= 1
                lower = 0x80
                upper = 0xBF
            }
            index += 1
        }
        return true
    }

    /// A lead octet: sets how many continuation octets follow and the range of the first one.
    private mutating func start(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: expect(1, 0x80, 0xBF)
        case 0xE0: expect(2, 0xA0, 0xBF)  // not overlong
        case 0xE1...0xEC, 0xEE...0xEF: expect(2, 0x80, 0xBF)
        case 0xED: expect(2, 0x80, 0x9F)  // not a surrogate
        case 0xF0: expect(3, 0x90, 0xBF)  // not overlong
        case 0xF1...0xF3: expect(3, 0x80, 0xBF)
        case 0xF4: expect(3, 0x80, 0x8F)  // not above U+10FFFF
        default: return false  // a continuation octet, C0, C1, F5–FF
        }
        return true
    }

    private mutating func expect(_ count: Int, _ lower: UInt8, _ upper: UInt8) {
        remaining = count
        self.lower = lower
        self.upper = upper
    }
}
