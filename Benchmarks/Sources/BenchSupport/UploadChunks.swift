/// The upload body: `BenchArguments.uploadChunk` repeated up to `BenchArguments.uploadSize`.
public struct UploadChunks: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    public init() {}

    public func makeAsyncIterator() -> Iterator { Iterator() }

    public struct Iterator: AsyncIteratorProtocol {
        var sent = 0

        public mutating func next() async -> [UInt8]? {
            guard sent < BenchArguments.uploadSize else { return nil }
            sent += BenchArguments.uploadChunk.count
            return BenchArguments.uploadChunk
        }
    }
}
