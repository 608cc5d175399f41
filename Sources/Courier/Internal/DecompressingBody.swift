import CourierCore
import CourierTransport

/// A response body decoded as it streams, within the `DecompressionLimit`: each read decodes one
/// output chunk, pulling another encoded chunk from the connection only when the decoder needs
/// it, so at most one chunk of decoded output exists at a time however much the body expands.
///
/// `reader` admits one reader at a time, which makes the `@unchecked Sendable` safe.
final class DecompressingBody: HTTPBodySource, @unchecked Sendable {
    private let inner: any HTTPBodySource
    private let decompressor: any Decompressor
    private let limit: DecompressionLimit
    private var encoded = 0
    private var decoded = 0
    private var finished = false
    private let reader = SingleReader()

    init(inner: any HTTPBodySource, coding: ContentCoding, limit: DecompressionLimit) {
        self.inner = inner
        self.decompressor = coding.makeDecompressor()
        self.limit = limit
    }

    func read() async throws -> ByteBuffer? {
        try reader.enter()
        defer { reader.leave() }
        while !finished {
            do {
                if let output = try decompressor.next() {
                    decoded += output.count
                    try limit.check(encoded: encoded, decoded: decoded)
                    return output
                }
            } catch {
                await inner.abandon()
                throw error
            }
            guard let chunk = try await inner.read() else {
                finished = true
                try decompressor.finish()
                break
            }
            encoded += chunk.count
            decompressor.feed(chunk)
        }
        return nil
    }

    var trailers: HTTPHeaders { inner.trailers }

    func abandon() async {
        await inner.abandon()
    }
}
