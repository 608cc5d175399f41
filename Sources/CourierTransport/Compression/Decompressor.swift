package import CourierCore

/// A streaming decoder for one content coding: compressed chunks in, decoded chunks out, one
/// output chunk (at most `ContentCoding.outputChunkSize`) per call. Pulled, not pushed: a small
/// encoded chunk may decode to gigabytes, and only what the consumer asks for is ever decoded.
/// Used by one task at a time.
package protocol Decompressor: AnyObject {
    /// Takes the next encoded chunk; only once `next()` has returned nil for the previous one.
    func feed(_ input: ByteBuffer)
    /// The next decoded chunk, or nil when the fed input is used up.
    func next() throws -> ByteBuffer?
    /// The input ended; throws if the compressed stream did not.
    func finish() throws(HTTPClientError)
}

/// The content codings Courier decodes (RFC 9110 §8.4.1).
package enum ContentCoding: String, Sendable {
    case gzip
    case deflate
    case brotli = "br"

    /// The coding named by a `Content-Encoding` value with one coding, or nil.
    package init?(header: String) {
        switch header.lowercased() {
        case "gzip", "x-gzip": self = .gzip
        case "deflate": self = .deflate
        case "br": self = .brotli
        default: return nil
        }
    }

    package func makeDecompressor() -> any Decompressor {
        switch self {
        case .gzip: ZlibDecompressor(format: .gzip)
        case .deflate: ZlibDecompressor(format: .deflate)
        case .brotli: BrotliDecompressor()
        }
    }

    /// Decoded output is handed out in chunks of at most this size.
    static let outputChunkSize = 64 << 10

    static func corrupt(_ coding: String, _ reason: String) -> HTTPClientError {
        HTTPClientError(
            .protocolViolation(.invalidContentEncoding), "The \(coding)-encoded response body is corrupt: \(reason).")
    }
}
