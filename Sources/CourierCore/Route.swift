/// What a connection is for: the origin requests go to. Connections are pooled per address.
///
/// TLS and proxy settings join the address when they exist, since a connection made with one
/// set cannot serve requests that need another.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int

    public init(scheme: String, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    public var description: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// One address of a host, as text: an IPv4 dotted quad or an IPv6 address without brackets.
public struct ResolvedAddress: Hashable, Sendable, CustomStringConvertible {
    public let ip: String
    public let port: Int

    public init(ip: String, port: Int) {
        self.ip = ip
        self.port = port
    }

    public var isIPv6: Bool { ip.contains(":") }

    public var description: String { isIPv6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
}

/// A concrete way to reach an address: the resolved IP a connection attempt dials.
public struct Route: Hashable, Sendable, CustomStringConvertible {
    public let address: Address
    public let socketAddress: ResolvedAddress

    public init(address: Address, socketAddress: ResolvedAddress) {
        self.address = address
        self.socketAddress = socketAddress
    }

    public var description: String { "\(address) via \(socketAddress)" }
}

/// A connection as events and network interceptors see it.
public struct ConnectionInfo: Hashable, Sendable, CustomStringConvertible {
    /// Unique within the process; the same for every exchange the connection carries.
    public let id: Int
    public let route: Route
    public let version: HTTPVersion

    public init(id: Int, route: Route, version: HTTPVersion) {
        self.id = id
        self.route = route
        self.version = version
    }

    public var description: String { "connection #\(id) (\(version)) to \(route)" }
}
