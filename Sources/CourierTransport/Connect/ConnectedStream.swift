package import CourierCore

/// A connection the connector established, before any HTTP: the byte stream, the route it
/// took, the TLS handshake, and the protocol to speak on it. A factory above Transport turns it
/// into an HTTP/1.1 or HTTP/2 connection.
package struct ConnectedStream: Sendable {
    package let stream: any ByteStream
    package let route: Route
    package let tlsHandshake: TLSHandshake?
    package let version: HTTPVersion
    /// What the TLS handshake proved about the server; nil over cleartext.
    package let serverIdentity: ServerIdentity?
}

extension HTTPVersion {
    /// The protocol's ALPN identifier (RFC 7301); nil for HTTP/1.0, which is never offered.
    package var applicationProtocolID: String? {
        switch self {
        case .http1_0: nil
        case .http1_1: "http/1.1"
        case .http2: "h2"
        }
    }
}
