/// The prefixed integers of RFC 7541 §5.1: a value in the low `prefixBits` bits of a byte whose
/// high bits say what the representation is, continued in 7-bit groups when it does not fit.
package enum HPACKInteger {
    /// The largest value decoded. RFC 7541 §5.1 lets a decoder bound integers; every HPACK
    /// quantity (an index, a length, a table size) is far below 2^32 in practice.
    package static let maxValue = Int(UInt32.max)

    /// Appends `value` with `flags` in the bits above the prefix of the first byte.
    package static func encode(_ value: Int, prefixBits: Int, flags: UInt8, into buffer: inout [UInt8]) {
        let mask = (1 << prefixBits) - 1
        guard value >= mask else {
            buffer.append(flags | UInt8(value))
            return
        }
        buffer.append(flags | UInt8(mask))
        var rest = value - mask
        while rest >= 0x80 {
            buffer.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        buffer.append(UInt8(rest))
    }

    /// Reads the integer whose first byte is at `offset` and moves `offset` past it.
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, at offset: inout Int, prefixBits: Int
    ) throws(HPACKError) -> Int {
        guard offset < bytes.count else { throw .truncated }
        let mask = (1 << prefixBits) - 1
        var value = Int(bytes[offset]) & mask
        offset += 1
        guard value == mask else { return value }
        var shift = 0
        while true {
            guard offset < bytes.count else { throw .truncated }
            let byte = bytes[offset]
            offset += 1
            value += Int(byte & 0x7F) << shift
            guard value <= maxValue else { throw .integerOverflow }
            if byte & 0x80 == 0 { return value }
            shift += 7
            // Five continuation bytes carry 35 bits; a sixth can only be redundant zeros.
            guard shift <= 28 else { throw .integerOverflow }
        }
    }
}
