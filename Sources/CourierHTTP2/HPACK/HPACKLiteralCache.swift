/// The short string literals a decoder built last, by their encoded octets.
///
/// Servers send many fields as literals that are never indexed, yet repeat from one response
/// to the next: nginx sends `server`, `date` and `content-type` that way on every response.
/// Looking the encoded octets up here skips the Huffman decoding and, for a string longer than
/// 15 octets (a `date`), the allocation of a new `String`. Lookup compares octets, so a hit is
/// exactly the string that decoding would have built.
///
/// Fixed storage, allocated once: a miss costs a copy into the oldest slot, never an allocation.
struct HPACKLiteralCache {
    /// Encoded strings longer than this are not kept: long values rarely repeat.
    static let maxEncodedLength = 48
    static let slots = 8

    private var encoded = [UInt8](repeating: 0, count: slots * maxEncodedLength)
    private var entries: [Entry?] = Array(repeating: nil, count: slots)
    private var next = 0

    private struct Entry {
        var length: Int
        var huffman: Bool
        var value: String
        var octets: Int
    }

    /// The string and its decoded length for these encoded octets, if kept.
    func lookUp(_ bytes: UnsafeRawBufferPointer, huffman: Bool) -> (String, Int)? {
        guard bytes.count <= HPACKLiteralCache.maxEncodedLength else { return nil }
        return encoded.withUnsafeBytes { storage in
            for slot in 0..<HPACKLiteralCache.slots {
                guard let entry = entries[slot], entry.length == bytes.count, entry.huffman == huffman else { continue }
                let start = slot * HPACKLiteralCache.maxEncodedLength
                if bytes.elementsEqual(storage[start..<start + bytes.count]) { return (entry.value, entry.octets) }
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
        entries[next] = Entry(length: bytes.count, huffman: huffman, value: value, octets: octets)
        next = (next + 1) % HPACKLiteralCache.slots
    }
}
