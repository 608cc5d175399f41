import CourierCore
import CourierTransport

/// A response body decoded as it streams: each encoded chunk pulled from the connection is
/// decoded into one or more chunks for the consumer, within the `DecompressionLimit`.
///
/// `reader` admits one reader at a time, which makes the `@unchecked Sendable` safe.
final class DecompressingBody: HTTPBodySource, @unchecked Sendable {
    private let inner: any HTTPBodySource
    private let decompressor: any Decompressor
    private let limit: DecompressionLimit
    private var pending: [ByteBuffer] = []
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
        while pending.isEmpty && !finished {
            guard let chunk = try await inner.read() else {
                finished = true
                try decompressor.finish()
                break
            }
            encoded += chunk.count
            do {
                try decompressor.decompress(chunk) { output in
                    decoded += output.count
                    try limit.check(encoded: encoded, decoded: decoded)
                    pending.append(output)
                }
            } catch {
                await inner.abandon()
                throw error
            }
        }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    func abandon() async {
        await inner.abandon()
    }
}
