/// What a connection is for: the origin requests go to, the proxy it goes through, how it is
/// secured and which protocols it may speak. Connections are pooled per address, since a
/// connection made with one TLS configuration, protocol list or proxy cannot serve requests that
/// need another.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    /// The fields live in one immutable box: an address travels with every call through the
    /// pool, its waiters and its dictionaries, and a copy of the fields themselves retains each
    /// string, the protocol list and the whole TLS configuration.
    private let parts: Parts

    public var scheme: String { parts.scheme }
    public var host: String { parts.host }
    public var port: Int { parts.port }
    /// How the connection is secured; nil for plain HTTP.
    public var tls: TLSConfiguration? { parts.tls }
    /// The protocols a connection may speak, in order of preference (`Configuration.protocols`).
    public var protocols: [HTTPVersion] { parts.protocols }
    /// The proxy connections go through; ``Proxy/direct`` for none.
    public var proxy: Proxy { parts.proxy }

    public init(
        scheme: String, host: String, port: Int, tls: TLSConfiguration? = nil, protocols: [HTTPVersion] = [.http1_1],
        proxy: Proxy = .direct
    ) {
        parts = Parts(scheme: scheme, host: host, port: port, tls: tls, protocols: protocols, proxy: proxy)
    }

    /// The same origin through another proxy.
    public func through(_ proxy: Proxy) -> Address {
        if proxy == self.proxy { return self }
        return Address(scheme: scheme, host: host, port: port, tls: tls, protocols: protocols, proxy: proxy)
    }

    /// Whether connections are a tunnel through an HTTP proxy (`CONNECT`): for TLS to the origin,
    /// and for what a forwarding proxy would not pass on: HTTP/2 with prior knowledge and
    /// `ws://` WebSocket upgrades.
    public var requiresTunnel: Bool {
        proxy.kind == .http && (tls != nil || cleartextProtocol == .http2 || scheme == "ws")
    }

    /// Whether requests go to an HTTP proxy that forwards them: absolute-form targets and
    /// `Proxy-Authorization` on the wire.
    public var isForwardedByProxy: Bool {
        proxy.kind == .http && !requiresTunnel
    }

    /// The protocol spoken over cleartext: HTTP/2 only with prior knowledge, when it is the only
    /// protocol allowed (OkHttp's rule: `h2c` is never negotiated by an HTTP/1.1 upgrade).
    public var cleartextProtocol: HTTPVersion { protocols == [.http2] ? .http2 : .http1_1 }

    /// Whether a connection to this address may turn out to be HTTP/2, and so carry many calls.
    public var mayMultiplex: Bool {
        Address.mayMultiplex(secure: tls != nil, protocols: protocols)
    }

    /// ``mayMultiplex`` for an address not built yet: whether a connection secured (or not)
    /// and offering `protocols` may turn out to be HTTP/2.
    package static func mayMultiplex(secure: Bool, protocols: [HTTPVersion]) -> Bool {
        secure ? protocols.contains(.http2) : protocols == [.http2]
    }

    public var description: String {
        let origin = "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        return proxy.isDirect ? origin : "\(origin) through \(proxy)"
    }

    /// Hashes the origin only: the pool looks addresses up twice per request, and hashing a TLS
    /// configuration means hashing its certificates. Equal addresses still hash equally, and the
    /// rare origins that differ only in TLS settings or protocols are told apart by `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(scheme)
        hasher.combine(host)
        hasher.combine(port)
    }

    public static func == (lhs: Address, rhs: Address) -> Bool {
        lhs.parts === rhs.parts
            || (lhs.port == rhs.port && lhs.host == rhs.host && lhs.scheme == rhs.scheme && lhs.proxy == rhs.proxy
                && lhs.protocols == rhs.protocols && lhs.tls == rhs.tls)
    }

    private final class Parts: Sendable {
        let scheme: String
        let host: String
        let port: Int
        let tls: TLSConfiguration?
        let protocols: [HTTPVersion]
        let proxy: Proxy

        init(scheme: String, host: String, port: Int, tls: TLSConfiguration?, protocols: [HTTPVersion], proxy: Proxy) {
            self.scheme = scheme
            self.host = host
            self.port = port
            self.tls = tls
            self.protocols = protocols
            self.proxy = proxy
        }
    }
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

/// A concrete way to reach an address: the resolved IP a connection attempt dials — the
/// proxy's when the address goes through one.
public struct Route: Hashable, Sendable, CustomStringConvertible {
    public let address: Address
    public let socketAddress: ResolvedAddress

    /// The proxy the route goes through (``Proxy/direct`` for none).
    public var proxy: Proxy { address.proxy }

    public init(address: Address, socketAddress: ResolvedAddress) {
        self.address = address
        self.socketAddress = socketAddress
    }

    public var description: String { "\(address) via \(socketAddress)" }
}

/// A connection as events and network interceptors see it.
///
/// The fields live in one immutable box: every exchange hands its connection's info to events,
/// the response and the pool, and a copy of the fields themselves retains a dozen strings.
public struct ConnectionInfo: Hashable, Sendable, CustomStringConvertible {
    private let fields: Fields

    /// Unique within the process; the same for every exchange the connection carries.
    public var id: Int { fields.id }
    public var route: Route { fields.route }
    public var version: HTTPVersion { fields.version }
    /// The TLS handshake, for HTTPS connections.
    public var tlsHandshake: TLSHandshake? { fields.tlsHandshake }

    public init(id: Int, route: Route, version: HTTPVersion, tlsHandshake: TLSHandshake? = nil) {
        fields = Fields(id: id, route: route, version: version, tlsHandshake: tlsHandshake)
    }

    public var description: String { "connection #\(id) (\(version)) to \(route)" }

    public static func == (lhs: ConnectionInfo, rhs: ConnectionInfo) -> Bool {
        lhs.fields === rhs.fields
            || (lhs.id == rhs.id && lhs.route == rhs.route && lhs.version == rhs.version
                && lhs.tlsHandshake == rhs.tlsHandshake)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(route)
        hasher.combine(version)
        hasher.combine(tlsHandshake)
    }

    private final class Fields: Sendable {
        let id: Int
        let route: Route
        let version: HTTPVersion
        let tlsHandshake: TLSHandshake?

        init(id: Int, route: Route, version: HTTPVersion, tlsHandshake: TLSHandshake?) {
            self.id = id
            self.route = route
            self.version = version
            self.tlsHandshake = tlsHandshake
        }
    }
}
