/// How HTTPS connections are secured. The defaults verify servers against the system's trust
/// store with TLS 1.2 or later.
///
/// ```swift
/// var tls = TLSConfiguration()
/// tls.trustRoots = [try TLSCertificate(pem: caPEM)]       // replaces the system store
/// tls.pins = ["*.example.com": ["sha256/AAAA…="]]
/// tls.minimumVersion = .tls1_3
/// config.tls = tls
/// ```
///
/// Connections are pooled per configuration: two clients with different settings never share one.
public struct TLSConfiguration: Hashable, Sendable {
    /// Certificates trusted as roots; nil (the default) uses the system store (`/etc/ssl/certs`).
    public var trustRoots: [TLSCertificate]?
    /// Certificate pins, as OkHttp's `CertificatePinner`: host pattern → `sha256/<base64>` hashes
    /// of SubjectPublicKeyInfo. A connection to a pinned host must have at least one pinned key
    /// in its verified chain. `*.example.com` matches one label (`www.example.com`),
    /// `**.example.com` any number (including none).
    public var pins: [String: [String]] = [:]
    /// The certificate and key to present when the server asks for one.
    public var clientIdentity: TLSIdentity?
    /// The oldest protocol version accepted.
    public var minimumVersion: TLSVersion = .tls1_2

    public init() {}
}

/// A TLS protocol version.
public enum TLSVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    case tls1_2
    case tls1_3

    public var description: String {
        switch self {
        case .tls1_2: "TLSv1.2"
        case .tls1_3: "TLSv1.3"
        }
    }
}

/// What a TLS handshake settled on, as seen by interceptors and events.
public struct TLSHandshake: Hashable, Sendable {
    public let version: TLSVersion
    /// The cipher suite's OpenSSL name, e.g. `TLS_AES_128_GCM_SHA256`.
    public let cipherSuite: String
    /// The protocol chosen by ALPN (`http/1.1`, `h2`), if the server chose one.
    public let applicationProtocol: String?
    /// The server's certificates, leaf first.
    public let peerCertificates: [TLSCertificate]
    /// Whether the session was resumed from an earlier connection.
    public let resumed: Bool

    public init(
        version: TLSVersion,
        cipherSuite: String,
        applicationProtocol: String?,
        peerCertificates: [TLSCertificate],
        resumed: Bool
    ) {
        self.version = version
        self.cipherSuite = cipherSuite
        self.applicationProtocol = applicationProtocol
        self.peerCertificates = peerCertificates
        self.resumed = resumed
    }
}
