import CourierCore

/// The encoded chunk a decompressor is working through, and how much of it the codec has taken.
///
/// The chunk's bytes are only addressable inside `withUnsafeBytes`, so a codec's input pointer
/// is set afresh from the offset on every call rather than kept between calls.
struct EncodedInput {
    private var chunk = ByteBuffer()
    private var consumed = 0

    /// Bytes not yet taken by the codec.
    var remaining: Int { chunk.count - consumed }

    /// Starts on the next chunk; only once the previous one is used up.
    mutating func feed(_ next: ByteBuffer) {
        precondition(remaining == 0, "fed before the previous chunk was used up")
        chunk = next
        consumed = 0
    }

    /// Lends the unconsumed bytes to `body` (nil with a count of 0 before any input), which
    /// returns how many of them the codec took.
    mutating func withUnconsumedBytes<Result>(
        _ body: (UnsafePointer<UInt8>?, Int) -> (used: Int, Result)
    ) -> Result {
        let consumed = self.consumed
        let (used, result) = chunk.withUnsafeBytes { bytes in
            body(bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + consumed }, bytes.count - consumed)
        }
        self.consumed += used
        return result
    }

    /// Goes back `count` bytes, which must all be in the current chunk.
    mutating func rewind(by count: Int) -> Bool {
        guard count <= consumed else { return false }
        consumed -= count
        return true
    }
}
