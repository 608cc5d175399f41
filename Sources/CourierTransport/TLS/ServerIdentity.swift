import CCourierOpenSSL
package import CourierCore

/// What a TLS handshake proved about the server: its leaf certificate, verified for the host the
/// connection was made to, and the pins of the chain that verification built. Kept so that an
/// HTTP/2 connection can be shared with another host (connection coalescing) only when the same
/// certificate would have been accepted for that host too.
package struct ServerIdentity: Sendable {
    /// How a certificate's names are matched, in the handshake and for coalescing: no partial
    /// wildcards (`f*.example.com`), and never the subject's Common Name, which RFC 9110 §4.3.4
    /// and RFC 9525 leave behind: a certificate without a DNS name in its subjectAltName names
    /// no host, even if a CA outside the public rules put one in its CN.
    static let hostFlags = UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT)

    package let certificate: TLSCertificate
    /// `sha256/<base64>` of each certificate in the verified chain, leaf first.
    package let verifiedChainPins: [String]

    package init(certificate: TLSCertificate, verifiedChainPins: [String]) {
        self.certificate = certificate
        self.verifiedChainPins = verifiedChainPins
    }

    /// Whether a handshake with `host` under the same trust settings would have accepted this
    /// server: the certificate names `host` (wildcards as in the handshake: a whole leftmost
    /// label only) and the verified chain holds one of the keys pinned for `host`, if any.
    package func covers(host: String, pinner: CertificatePinner) -> Bool {
        guard let x509 = X509.parse(certificate) else { return false }
        defer { X509_free(x509) }
        let named: Bool
        if SocketAddress(numericHost: host, port: 0) != nil {
            named = X509_check_ip_asc(x509, host, 0) == 1
        } else {
            named = X509_check_host(x509, host, host.utf8.count, ServerIdentity.hostFlags, nil) == 1
        }
        guard named else { return false }
        return (try? pinner.check(host: host, chainPins: verifiedChainPins)) != nil
    }
}
