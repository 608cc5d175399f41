/// Byte classes from RFC 9110 §5.6, shared by validation and the wire codecs.
package enum HTTPSyntax {
    /// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    @inlinable
    package static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// field-vchar / SP / HTAB: visible ASCII, obs-text (0x80–0xFF), space and tab.
    @inlinable
    package static func isFieldValueCharacter(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }

    /// The value of an ASCII hex digit; nil for any other byte. Not `UInt8(_:radix:)`, which
    /// would take a sign (`+f`) where no chunk size, escape or address has one.
    @inlinable
    package static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    @inlinable
    package static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// A byte as a person reads it in an error message.
    package static func describe(_ byte: UInt8) -> String {
        switch byte {
        case 0x00: "NUL (0x00)"
        case 0x0A: "LF (0x0A)"
        case 0x0D: "CR (0x0D)"
        case 0x20...0x7E: "\"\(Character(Unicode.Scalar(byte)))\""
        default: "byte 0x" + String(byte, radix: 16, uppercase: true)
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    package func trimmingWhitespace() -> Substring {
        // Byte-wise: spaces and tabs are ASCII, and walking Characters costs grapheme breaking.
        let bytes = utf8
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let start = bytes.firstIndex(where: { !isWhitespace($0) }) else { return self[endIndex...] }
        // After the last other byte comes whitespace or the end, so both bounds fall on scalars.
        let end = bytes.index(after: bytes.lastIndex(where: { !isWhitespace($0) })!)
        return self[start..<end]
    }
}
