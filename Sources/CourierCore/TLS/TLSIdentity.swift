/// A certificate chain and its private key, presented to a peer that asks for one (mutual TLS).
public struct TLSIdentity: Hashable, Sendable {
    /// Leaf first.
    public let certificates: [TLSCertificate]
    /// The private key, PEM-encoded (PKCS #8, or a traditional RSA/EC key).
    package let privateKeyPEM: String

    /// - Throws: `HTTPClientError` `.tls(.invalidConfiguration)` when either text holds no PEM block.
    public init(certificatePEM: String, privateKeyPEM: String) throws(HTTPClientError) {
        let chain = try TLSCertificate.chain(pem: certificatePEM)
        guard !chain.isEmpty else {
            throw HTTPClientError(
                .tls(.invalidConfiguration), "The client certificate PEM contains no CERTIFICATE block.")
        }
        guard privateKeyPEM.contains("PRIVATE KEY-----") else {
            throw HTTPClientError(
                .tls(.invalidConfiguration), "The client private key PEM contains no PRIVATE KEY block.")
        }
        self.certificates = chain
        self.privateKeyPEM = privateKeyPEM
    }
}
