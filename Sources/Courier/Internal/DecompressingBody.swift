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
    /// Why decoding failed: every later read throws it again, never a clean end.
    private var failure: (any Error)?
    private let reader = SingleReader()

    init(inner: any HTTPBodySource, coding: ContentCoding, limit: DecompressionLimit) {
        self.inner = inner
        self.decompressor = coding.makeDecompressor()
        self.limit = limit
    }

    func read() async throws -> ByteBuffer? {
        try reader.enter()
        defer { reader.leave() }
        if let failure { throw failure }
        while !finished {
            do {
                if let output = try decompressor.next() {
                    decoded += output.count
                    try limit.check(encoded: encoded, decoded: decoded)
                    return output
                }
            } catch {
                failure = error
                await inner.abandon()
                throw error
            }
            guard let chunk = try await inner.read() else {
                finished = true
                // No bytes at all are an empty body, whatever the coding claims (as curl and
                // Go read it): HTTP/1.1 framing or HTTP/2 timing must not turn one empty body
                // into an error and another into nothing.
                guard encoded > 0 else { break }
                do {
                    try decompressor.finish()
                } catch {
                    failure = error
                    throw error
                }
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
