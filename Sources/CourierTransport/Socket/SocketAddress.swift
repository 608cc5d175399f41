package import Glibc

/// An IPv4 or IPv6 socket address as the kernel takes it.
package struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    private var storage: sockaddr_storage
    package let length: socklen_t

    package init(copying address: UnsafePointer<sockaddr>, length: socklen_t) {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(length)))
        }
        self.storage = storage
        self.length = length
    }

    /// A numeric IPv4 or IPv6 address, or nil if `host` is not one.
    package init?(numericHost host: String, port: Int) {
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = in_port_t(UInt16(port).bigEndian)
            self = SocketAddress(copying: v4)
            return
        }
        // An IPv6 address may name its zone (`fe80::1%eth0`, `fe80::1%2`): a link-local
        // address means nothing without the interface it is on.
        let parts = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
        var v6 = sockaddr_in6()
        guard inet_pton(AF_INET6, String(parts[0]), &v6.sin6_addr) == 1 else { return nil }
        if parts.count == 2 {
            guard let scope = UInt32(parts[1]) ?? SocketAddress.interfaceIndex(parts[1]) else { return nil }
            v6.sin6_scope_id = scope
        }
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = in_port_t(UInt16(port).bigEndian)
        self = SocketAddress(copying: v6)
    }

    private static func interfaceIndex(_ name: Substring) -> UInt32? {
        let index = if_nametoindex(String(name))
        return index == 0 ? nil : index
    }

    /// A copy of a `sockaddr_in` or `sockaddr_in6`.
    private init<Address>(copying address: Address) {
        self = withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                SocketAddress(copying: $0, length: socklen_t(MemoryLayout<Address>.size))
            }
        }
    }

    package var family: Int32 { Int32(storage.ss_family) }

    package var port: Int {
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET: Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
            case AF_INET6: Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
            default: 0
            }
        }
    }

    /// The address without the port, as text; an IPv6 address with a zone keeps it
    /// (`fe80::1%2`), so that the text connects where the address did.
    package var host: String {
        withUnsafeBytes(of: storage) { raw in
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            var zone = ""
            switch family {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self).sin_addr
                inet_ntop(AF_INET, &address, &text, socklen_t(text.count))
            case AF_INET6:
                let v6 = raw.load(as: sockaddr_in6.self)
                var address = v6.sin6_addr
                inet_ntop(AF_INET6, &address, &text, socklen_t(text.count))
                if v6.sin6_scope_id != 0 { zone = "%\(v6.sin6_scope_id)" }
            default:
                return "?"
            }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + zone
        }
    }

    /// The host as it appears in a URL: IPv6 addresses in brackets.
    package var urlHost: String {
        family == AF_INET6 ? "[\(host)]" : host
    }

    package var description: String { "\(urlHost):\(port)" }

    package func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    package static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length
            && withUnsafeBytes(of: lhs.storage) { l in
                withUnsafeBytes(of: rhs.storage) { r in memcmp(l.baseAddress!, r.baseAddress!, Int(lhs.length)) == 0 }
            }
    }

    package func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: storage) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) }
    }
}
