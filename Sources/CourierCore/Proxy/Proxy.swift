/// How connections reach an origin: directly, through an HTTP proxy, or through a SOCKS5 proxy.
///
/// ```swift
/// config.proxy = .http(host: "proxy.internal", port: 3128)
/// config.proxy = .http(host: "proxy.internal", port: 3128, username: "u", password: "p")
/// config.proxy = .socks5(host: "127.0.0.1", port: 1080, username: "u", password: "p")
/// config.proxy = nil                        // direct
/// ```
///
/// Through an HTTP proxy, `http://` requests are forwarded by the proxy (absolute-form request
/// targets, RFC 9112 §3.2.2) and `https://` and `wss://` ones go through a `CONNECT` tunnel with
/// TLS to the origin inside it. Through SOCKS5 every connection is a tunnel, and the host name
/// is sent to the proxy for it to resolve (curl's `socks5h`): the client never looks it up.
public struct Proxy: Hashable, Sendable, CustomStringConvertible {
    /// The kind of proxy, which decides how a connection is made through it.
    public enum Kind: Hashable, Sendable {
        /// No proxy: connect to the origin itself.
        case direct
        /// An HTTP proxy: forwarding for `http://`, `CONNECT` tunnels for the rest.
        case http
        /// A SOCKS5 proxy (RFC 1928), with username/password authentication (RFC 1929) when
        /// credentials are given.
        case socks5
    }

    public let kind: Kind
    /// The proxy's host name or IP address; empty for ``direct``.
    public let host: String
    /// The proxy's port; 0 for ``direct``.
    public let port: Int
    /// The username and password given with the proxy. A SOCKS5 proxy is offered them during
    /// its handshake (RFC 1929). An HTTP proxy is sent them as Basic `Proxy-Authorization` on
    /// every forwarded request and `CONNECT` from the first one, as curl does with credentials in
    /// a proxy URL; a 407 all the same goes to `Configuration.proxyAuthenticator`.
    public let credentials: Credentials?

    /// A username and password for a proxy (RFC 1929 for SOCKS5: each 1 to 255 bytes of UTF-8;
    /// RFC 7617 for an HTTP proxy: a username without `:`).
    public struct Credentials: Hashable, Sendable {
        public let username: String
        public let password: String

        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }
    }

    private init(kind: Kind, host: String, port: Int, credentials: Credentials?) {
        self.kind = kind
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.credentials = credentials
    }

    /// No proxy: what a ``ProxySelector`` returns for a URL that should be reached directly.
    public static let direct = Proxy(kind: .direct, host: "", port: 0, credentials: nil)

    /// An HTTP proxy at `host` and `port`.
    public static func http(host: String, port: Int) -> Proxy {
        Proxy(kind: .http, host: host, port: port, credentials: nil)
    }

    /// An HTTP proxy at `host` and `port` that is sent these credentials from the first request.
    public static func http(host: String, port: Int, username: String, password: String) -> Proxy {
        Proxy(kind: .http, host: host, port: port, credentials: Credentials(username: username, password: password))
    }

    /// A SOCKS5 proxy that needs no authentication.
    public static func socks5(host: String, port: Int) -> Proxy {
        Proxy(kind: .socks5, host: host, port: port, credentials: nil)
    }

    /// A SOCKS5 proxy that authenticates with a username and password (RFC 1929).
    public static func socks5(host: String, port: Int, username: String, password: String) -> Proxy {
        Proxy(kind: .socks5, host: host, port: port, credentials: Credentials(username: username, password: password))
    }

    /// Whether this is ``direct``.
    public var isDirect: Bool { kind == .direct }

    /// The `Proxy-Authorization` an HTTP proxy given with credentials is sent before it asks.
    package var preemptiveAuthorization: String? {
        guard kind == .http, let credentials else { return nil }
        return "Basic " + Base64.encode(Array("\(credentials.username):\(credentials.password)".utf8))
    }

    /// Names the proxy; never shows the password.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let user = credentials.map { "\($0.username)@" } ?? ""
        switch kind {
        case .direct: return "DIRECT"
        case .http: return "http://\(user)\(hostPart):\(port)"
        case .socks5: return "socks5h://\(user)\(hostPart):\(port)"
        }
    }
}
