public import CourierCore
import CourierTransport
public import FoundationEssentials

/// A certificate and its private key, made on the spot for tests (OkHttp's `HeldCertificate`).
///
/// ```swift
/// let ca = try HeldCertificate.authority()
/// let server = try HeldCertificate.leaf(hosts: ["localhost", "127.0.0.1"], issuedBy: ca)
/// let https = try await TestServer(tls: .init(identity: server.identity))
/// var tls = TLSConfiguration()
/// tls.trustRoots = [ca.certificate]
/// ```
public struct HeldCertificate: Sendable {
    public let certificate: TLSCertificate
    /// The private key, PKCS #8 PEM.
    public let privateKeyPEM: String

    /// A self-signed certificate authority.
    public static func authority(
        commonName: String = "Courier Test CA",
        notBefore: Date = Date(timeIntervalSinceNow: -3600),
        notAfter: Date = Date(timeIntervalSinceNow: 86_400)
    ) throws -> HeldCertificate {
        HeldCertificate(
            try CertificateFactory.make(
                commonName: commonName, hosts: [], isAuthority: true, notBefore: notBefore, notAfter: notAfter,
                issuer: nil)
        )
    }

    /// A leaf certificate for `hosts` (DNS names, wildcards such as `*.example.test`, or IP
    /// addresses), signed by `issuer`, or self-signed when it is nil.
    public static func leaf(
        commonName: String = "localhost",
        hosts: [String] = ["localhost", "127.0.0.1", "::1"],
        issuedBy issuer: HeldCertificate?,
        notBefore: Date = Date(timeIntervalSinceNow: -3600),
        notAfter: Date = Date(timeIntervalSinceNow: 86_400)
    ) throws -> HeldCertificate {
        HeldCertificate(
            try CertificateFactory.make(
                commonName: commonName,
                hosts: hosts,
                isAuthority: false,
                notBefore: notBefore,
                notAfter: notAfter,
                issuer: issuer.map {
                    CertificateFactory.Made(certificate: $0.certificate, privateKeyPEM: $0.privateKeyPEM)
                }
            )
        )
    }

    private init(_ made: CertificateFactory.Made) {
        certificate = made.certificate
        privateKeyPEM = made.privateKeyPEM
    }

    public var certificatePEM: String { certificate.pem }

    /// This certificate and key, to present as a server or a client.
    public var identity: TLSIdentity {
        // Both texts come from this type's own encoders, so they always parse.
        try! TLSIdentity(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM)
    }
}
