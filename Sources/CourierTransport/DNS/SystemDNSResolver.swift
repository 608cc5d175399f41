public import CourierCore
import Glibc

/// `getaddrinfo`, run on the blocking-work pool so that a slow name server never stalls the
/// reactor or the cooperative pool. Numeric addresses skip the lookup.
///
/// `getaddrinfo` cannot be interrupted, so a cancelled or timed-out call stops waiting for it
/// and returns at once; the lookup finishes on the pool and its answer is dropped.
public struct SystemDNSResolver: DNSResolver {
    private let lookUp: @Sendable (String, Int) -> Result<[ResolvedAddress], HTTPClientError>

    public init() {
        self.lookUp = SystemDNSResolver.lookUp
    }

    /// A resolver that calls `lookUp` on the pool in place of `getaddrinfo`; for tests.
    package init(lookUp: @escaping @Sendable (String, Int) -> Result<[ResolvedAddress], HTTPClientError>) {
        self.lookUp = lookUp
    }

    public func resolve(host: String, port: Int) async throws -> [ResolvedAddress] {
        if SocketAddress(numericHost: host, port: port) != nil {
            return [ResolvedAddress(ip: host, port: port)]
        }
        let lookUp = self.lookUp
        let result = try await BlockingWorkPool.shared.runAbandoningOnCancel { lookUp(host, port) }
        switch result {
        case .success(let addresses): return addresses
        case .failure(let error): throw error
        }
    }

    private static func lookUp(_ host: String, _ port: Int) -> Result<[ResolvedAddress], HTTPClientError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            let reason = String(cString: gai_strerror(status))
            return .failure(HTTPClientError(.dnsFailure, "Could not resolve host \(host): \(reason)."))
        }
        defer { freeaddrinfo(list) }
        var addresses: [ResolvedAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let address = current.pointee.ai_addr {
                let resolved = SocketAddress(copying: address, length: current.pointee.ai_addrlen)
                let candidate = ResolvedAddress(ip: resolved.host, port: port)
                if !addresses.contains(candidate) { addresses.append(candidate) }
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            return .failure(HTTPClientError(.dnsFailure, "Host \(host) resolved to no usable address."))
        }
        return .success(addresses)
    }
}
