/// The Huffman code of RFC 7541 Appendix B, and string encoding with it.
///
/// The code is canonical (codes of one length are consecutive, in symbol order, and shorter codes
/// come first), so the bit lengths alone define it; the codes are derived from them once.
package enum HPACKHuffman {
    /// The symbol that pads nothing and must never appear in a string (RFC 7541 §5.2).
    package static let eos = 256

    /// Bit length of each symbol's code: bytes 0...255, then EOS.
    package static let lengths: [UInt8] = [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,  // 0-15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,  // 16-31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,  // 32-47
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,  // 48-63
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,  // 64-79
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,  // 80-95
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,  // 96-111
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,  // 112-127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,  // 128-143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,  // 144-159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,  // 160-175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,  // 176-191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,  // 192-207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,  // 208-223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,  // 224-239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,  // 240-255
        30,  // EOS
    ]

    /// Each symbol's code, right-aligned.
    package static let codes: [UInt32] = {
        let symbols = (0...eos).sorted { (lengths[$0], $0) < (lengths[$1], $1) }
        var codes = [UInt32](repeating: 0, count: eos + 1)
        var code: UInt32 = 0
        for (position, symbol) in symbols.enumerated() where position > 0 {
            code = (code + 1) << (lengths[symbol] - lengths[symbols[position - 1]])
            codes[symbol] = code
        }
        return codes
    }()

    /// The octets `bytes` take Huffman-coded, padding included.
    package static func encodedCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        lengths.withUnsafeBufferPointer { lengths in
            var bits = 0
            for byte in bytes { bits += Int(lengths[Int(byte)]) }
            return (bits + 7) / 8
        }
    }

    /// Appends `bytes` Huffman-coded, the last octet padded with the high bits of EOS (ones).
    package static func encode(_ bytes: UnsafeBufferPointer<UInt8>, into buffer: inout [UInt8]) {
        codes.withUnsafeBufferPointer { codes in
            lengths.withUnsafeBufferPointer { lengths in
                // Pending bits in the low `pending` bits; at most 7 + 30 are ever live.
                var bits: UInt64 = 0
                var pending: UInt64 = 0
                for byte in bytes {
                    let length = UInt64(lengths[Int(byte)])
                    bits = bits << length | UInt64(codes[Int(byte)])
                    pending += length
                    while pending >= 8 {
                        pending -= 8
                        buffer.append(UInt8(truncatingIfNeeded: bits >> pending))
                    }
                }
                if pending > 0 {
                    buffer.append(UInt8(truncatingIfNeeded: bits << (8 - pending) | 0xFF >> pending))
                }
            }
        }
    }
}
