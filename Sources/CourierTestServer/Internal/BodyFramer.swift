import CourierCore
import CourierTransport

/// Writes a mock body as scripted: chunk-framed or raw, throttled, cut off after N bytes.
struct BodyFramer {
    /// Thrown to end the connection once `disconnectAfter` bytes are out.
    struct Disconnect: Error {}

    let stream: any ByteStream
    let chunked: Bool
    let chunkSize: Int?
    let throttle: (bytes: Int, period: Duration)?
    var disconnectAfter: Int?
    private var written = 0
    private var sentInPeriod = 0

    init(stream: any ByteStream, chunked: Bool, chunkSize: Int?, throttle: (bytes: Int, period: Duration)?) {
        self.stream = stream
        self.chunked = chunked
        self.chunkSize = chunkSize
        self.throttle = throttle
    }

    mutating func write(_ bytes: ByteBuffer) async throws {
        var offset = 0
        while offset < bytes.count {
            var count = bytes.count - offset
            if let chunkSize { count = min(count, chunkSize) }
            if let throttle {
                if sentInPeriod >= throttle.bytes {
                    try await Task.sleep(for: throttle.period)
                    sentInPeriod = 0
                }
                count = min(count, throttle.bytes - sentInPeriod)
            }
            if let disconnectAfter { count = min(count, disconnectAfter - written) }
            if count > 0 {
                let piece = bytes.slice(from: offset, count: count)
                if chunked {
                    try await stream.write(HTTP1Serializer.chunkHeader(count: count), piece, deadline: nil)
                    try await stream.write(HTTP1Serializer.chunkEnd, deadline: nil)
                } else {
                    try await stream.write(piece, deadline: nil)
                }
                offset += count
                written += count
                sentInPeriod += count
            }
            if let disconnectAfter, written >= disconnectAfter { throw Disconnect() }
        }
    }

    /// Ends the body: the last chunk, with `trailers` as its trailer section when chunked.
    func finish(trailers: HTTPHeaders?) async throws {
        if disconnectAfter != nil { throw Disconnect() }
        guard chunked else { return }
        guard let trailers, !trailers.isEmpty else {
            try await stream.write(HTTP1Serializer.lastChunk, deadline: nil)
            return
        }
        let section = trailers.fields.map { "\($0.name): \($0.value)\r\n" }.joined()
        try await stream.write(ByteBuffer(string: "0\r\n" + section + "\r\n"), deadline: nil)
    }
}
