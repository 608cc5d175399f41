import CourierCore
import CourierTransport

/// Resolves the DNS-over-HTTPS server's own host name to fixed addresses, so that reaching the
/// resolver never needs the resolver; every other name goes to `fallback`.
struct BootstrapResolver: DNSResolver {
    let host: String
    let addresses: [String]
    let fallback: any DNSResolver

    func resolve(host: String, port: Int) async throws -> [ResolvedAddress] {
        guard host.lowercased() == self.host.lowercased(), !addresses.isEmpty else {
            return try await fallback.resolve(host: host, port: port)
        }
        return addresses.map { ResolvedAddress(ip: $0, port: port) }
    }
}
