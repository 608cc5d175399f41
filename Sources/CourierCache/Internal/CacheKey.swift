package import FoundationEssentials

/// The store key of a URL: the lowercase hex SHA-256 of its text without the fragment (64
/// characters of `[0-9a-f]`, inside the `[a-z0-9_-]{1,120}` a store accepts), as OkHttp keys
/// its cache by a digest of the URL.
package enum CacheKey {
    package static func key(for url: URL) -> String {
        key(forText: text(of: url))
    }

    /// The URL's text without its fragment: what the key digests.
    static func text(of url: URL) -> String {
        let text = url.absoluteString
        guard let hash = text.utf8.firstIndex(of: UInt8(ascii: "#")) else { return text }
        return String(text[..<hash])
    }

    static func key(forText text: String) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(64)
        for byte in SHA256.hash(Array(text.utf8)) {
            result.append(hex[Int(byte >> 4)])
            result.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
