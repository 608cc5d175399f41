/// The short string literals a decoder built last, by their encoded octets.
///
/// Servers send many fields as literals that are never indexed, yet repeat from one response
/// to the next: nginx sends `server`, `date` and `content-type` that way on every response.
/// Looking the encoded octets up here skips the Huffman decoding and, for a string longer than
/// 15 octets (a `date`), the allocation of a new `String`. Lookup compares octets, so a hit is
/// exactly the string that decoding would have built.
///
/// Fixed storage, allocated once: a miss costs a copy into the oldest slot, never an allocation.
/// A lookup compares lengths first and octets eight at a time, and touches a string only on a hit.
struct HPACKLiteralCache {
    /// Encoded strings longer than this are not kept: long values rarely repeat.
    static let maxEncodedLength = 48
    static let slots = 8

    private var encoded = [UInt8](repeating: 0, count: slots * maxEncodedLength)
    /// Per slot: the encoded length, with the Huffman flag as bit 8; -1 for an empty slot.
    private var keys = [Int](repeating: -1, count: slots)
    private var values = [(string: String, octets: Int)](repeating: ("", 0), count: slots)
    private var next = 0

    private static func key(_ length: Int, huffman: Bool) -> Int { huffman ? length | 0x100 : length }

    /// The string and its decoded length for these encoded octets, if kept.
    func lookUp(_ bytes: UnsafeRawBufferPointer, huffman: Bool) -> (String, Int)? {
        guard bytes.count <= HPACKLiteralCache.maxEncodedLength else { return nil }
        let key = HPACKLiteralCache.key(bytes.count, huffman: huffman)
        return encoded.withUnsafeBytes { storage -> (String, Int)? in
            for slot in 0..<HPACKLiteralCache.slots where keys[slot] == key {
                let kept = storage.baseAddress! + slot * HPACKLiteralCache.maxEncodedLength
                if HPACKLiteralCache.equal(kept, bytes) { return values[slot] }
            }
            return nil
        }
    }

    /// Keeps a string just decoded from `bytes`, in place of the oldest kept.
    mutating func keep(_ bytes: UnsafeRawBufferPointer, huffman: Bool, value: String, octets: Int) {
        guard bytes.count <= HPACKLiteralCache.maxEncodedLength else { return }
        let start = next * HPACKLiteralCache.maxEncodedLength
        encoded.withUnsafeMutableBytes { storage in
            UnsafeMutableRawBufferPointer(rebasing: storage[start..<start + bytes.count]).copyMemory(from: bytes)
        }
        keys[next] = HPACKLiteralCache.key(bytes.count, huffman: huffman)
        values[next] = (value, octets)
        next = (next + 1) % HPACKLiteralCache.slots
    }

    /// Whether the `bytes.count` octets at `kept` are `bytes`.
    private static func equal(_ kept: UnsafeRawPointer, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let other = bytes.baseAddress else { return true }
        var offset = 0
        while offset + 8 <= bytes.count {
            guard
                kept.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    == other.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            else { return false }
            offset += 8
        }
        while offset < bytes.count {
            let byte = kept.load(fromByteOffset: offset, as: UInt8.self)
            guard byte == other.load(fromByteOffset: offset, as: UInt8.self) else { return false }
            offset += 1
        }
        return true
    }
}
