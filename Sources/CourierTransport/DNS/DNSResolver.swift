public import CourierCore

/// Turns a host name into the addresses to try.
///
/// Swap it (for tests, or for DNS over HTTPS) through the client configuration. The default,
/// ``SystemDNSResolver``, asks the C library. Order matters only within a family: connection
/// attempts interleave IPv6 and IPv4 addresses (RFC 8305), each family in the order given.
public protocol DNSResolver: Sendable {
    /// The addresses of `host`, for connecting to `port`. Throws `HTTPClientError` `.dnsFailure`
    /// when the name does not resolve.
    func resolve(host: String, port: Int) async throws -> [ResolvedAddress]
}

extension ResolvedAddress {
    package var socketAddress: SocketAddress? { SocketAddress(numericHost: ip, port: port) }
}
