/// The 24 octets a client sends before its first frame (RFC 9113 §3.4), so that a server that
/// does not speak HTTP/2 fails at once instead of reading frames as an HTTP/1.1 request.
package enum HTTP2ConnectionPreface {
    /// `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
    package static let bytes: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
}
