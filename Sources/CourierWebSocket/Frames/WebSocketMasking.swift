/// The XOR of a payload with its masking key (RFC 6455 §5.3), which both masks and unmasks.
///
/// Every octet of every frame a client sends, and every octet a server receives, goes through
/// here, so it works eight octets at a time: the key repeated to 64 bits in memory order, XORed
/// over unaligned 64-bit loads, then the last few octets one by one.
package enum WebSocketMasking {
    /// XORs `bytes` in place with `key`, whose big-endian octets are the key on the wire; octet
    /// `i` of the payload meets octet `i % 4` of the key.
    package static func apply(key: UInt32, to bytes: UnsafeMutableRawBufferPointer) {
        // The key's octets in wire order, laid out twice in memory whatever the byte order.
        let half = UInt64(key.bigEndian)
        let word = half | half << 32
        var offset = 0
        let wordCount = bytes.count / 8
        for _ in 0..<wordCount {
            let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            bytes.storeBytes(of: value ^ word, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < bytes.count {
            // `offset` is a multiple of 8 where this loop starts, so the key octet is `offset % 4`.
            bytes[offset] ^= UInt8(truncatingIfNeeded: key >> UInt32(24 - 8 * (offset & 3)))
            offset += 1
        }
    }
}
