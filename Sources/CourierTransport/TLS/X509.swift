import CCourierOpenSSL
public import CourierCore
import FoundationEssentials

/// Conversions between `TLSCertificate` (DER) and OpenSSL's `X509`.
package enum X509 {
    /// A new `X509` owned by the caller (`X509_free`), or nil if the DER does not parse.
    package static func parse(_ certificate: TLSCertificate) -> OpaquePointer? {
        certificate.der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var pointer: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_X509(nil, &pointer, buffer.count)
        }
    }

    package static func certificate(_ x509: OpaquePointer) -> TLSCertificate {
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(x509, &output)
        guard length > 0, let output else { return TLSCertificate(der: []) }
        defer { CRYPTO_free(output, #fileID, #line) }
        return TLSCertificate(der: Array(UnsafeBufferPointer(start: output, count: Int(length))))
    }

    /// `sha256/<base64>` of the certificate's DER SubjectPublicKeyInfo, as pins are written.
    package static func pin(_ x509: OpaquePointer) -> String {
        var output: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x509), &output)
        guard length > 0, let output else { return "sha256/" }
        defer { CRYPTO_free(output, #fileID, #line) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        EVP_Digest(output, Int(length), &digest, &digestLength, EVP_sha256(), nil)
        return "sha256/" + Data(digest.prefix(Int(digestLength))).base64EncodedString()
    }
}

extension TLSCertificate {
    /// `sha256/<base64>` of the SubjectPublicKeyInfo: the string to put in `TLSConfiguration.pins`.
    public var publicKeyPin: String? {
        guard let x509 = X509.parse(self) else { return nil }
        defer { X509_free(x509) }
        return X509.pin(x509)
    }
}
