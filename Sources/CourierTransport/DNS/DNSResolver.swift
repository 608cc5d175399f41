/// Turns a host name into the addresses to try, in order.
///
/// Swap it (for tests, or for DNS over HTTPS) through the client configuration. The default,
/// ``SystemDNSResolver``, asks the C library.
public protocol DNSResolver: Sendable {
    /// The addresses of `host`, for connecting to `port`. Throws `HTTPClientError` `.dnsFailure`
    /// when the name does not resolve.
    func resolve(host: String, port: Int) async throws -> [ResolvedAddress]
}

/// One address of a host, as text: an IPv4 dotted quad or an IPv6 address without brackets.
public struct ResolvedAddress: Hashable, Sendable, CustomStringConvertible {
    public let ip: String
    public let port: Int

    public init(ip: String, port: Int) {
        self.ip = ip
        self.port = port
    }

    public var description: String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }

    package var socketAddress: SocketAddress? { SocketAddress(numericHost: ip, port: port) }
}
