import CCourierOpenSSL

/// Hashes through OpenSSL's EVP, for HTTP Digest authentication.
package enum MessageDigest: String, Sendable, CaseIterable {
    case md5 = "MD5"
    case sha256 = "SHA-256"
    case sha512_256 = "SHA-512-256"

    /// Lowercase hex of the digest of `text`'s UTF-8.
    package func hex(_ text: String) -> String {
        let algorithm: OpaquePointer? =
            switch self {
            case .md5: EVP_md5()
            case .sha256: EVP_sha256()
            case .sha512_256: EVP_sha512_256()
            }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let bytes = Array(text.utf8)
        EVP_Digest(bytes, bytes.count, &digest, &length, algorithm, nil)
        return digest.prefix(Int(length)).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
