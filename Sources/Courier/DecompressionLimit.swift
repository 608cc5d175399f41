/// Bounds on a transparently decompressed body, against decompression bombs.
///
/// Either bound ends the body with `HTTPClientError` `.responseTooLarge` and closes the
/// connection. The ratio is checked only past 1 MiB of output: small bodies cannot bomb, and
/// ordinary text can compress a few hundred times.
public struct DecompressionLimit: Hashable, Sendable {
    /// Most decoded bytes per encoded byte; nil for no ratio bound.
    public var maxRatio: Int?
    /// Most decoded bytes in all; nil for no absolute bound.
    public var maxBytes: Int?

    public init(maxRatio: Int? = 500, maxBytes: Int? = nil) {
        self.maxRatio = maxRatio
        self.maxBytes = maxBytes
    }

    /// Output this small is never checked against the ratio.
    static let ratioGrace = 1 << 20

    package func check(encoded: Int, decoded: Int) throws(HTTPClientError) {
        if let maxBytes, decoded > maxBytes {
            throw HTTPClientError(
                .responseTooLarge,
                "The decompressed response body exceeds the limit of \(maxBytes) bytes (DecompressionLimit.maxBytes)."
            )
        }
        if let maxRatio, decoded > DecompressionLimit.ratioGrace, decoded / max(encoded, 1) > maxRatio {
            throw HTTPClientError(
                .responseTooLarge,
                "The response body decompresses more than \(maxRatio):1 (\(encoded) bytes became \(decoded)); "
                    + "this looks like a decompression bomb (DecompressionLimit.maxRatio)."
            )
        }
    }
}
