public import FoundationEssentials

/// The proxy settings of a process environment, read with curl's rules.
///
/// - `http_proxy` for `http://` and `ws://` URLs — lower case only: CGI programs receive a
///   request's `Proxy:` header as `HTTP_PROXY`, so an attacker could choose it ("httpoxy").
/// - `https_proxy` or `HTTPS_PROXY` for `https://` and `wss://` URLs.
/// - `all_proxy` or `ALL_PROXY` when the scheme has none.
/// - `no_proxy` or `NO_PROXY`: hosts reached directly. Entries are separated by commas (or
///   spaces). `*` alone matches every host. A name matches itself and every host under it,
///   with or without a leading dot (`example.com` and `.example.com` both match `example.com`
///   and `www.example.com`, never `notexample.com`). An IP address matches that address, and
///   with a `/bits` suffix the CIDR block. An entry with a port (`host:8080`, `[::1]:8080`)
///   matches that port only (as Go reads it; curl ignores the port). Host names compare without
///   case and without a trailing dot.
///
/// The lower-case variable wins when both are set; an empty one counts as unset. A proxy value
/// is `[scheme://][user:password@]host[:port]`: `http://` (the default) or `socks5://` /
/// `socks5h://` (both send the host name to the proxy). Percent-encoded credentials are kept
/// for either kind (see ``Proxy/credentials``). The port defaults to 1080, as in curl.
/// Values Courier cannot use (`https://` proxies, other schemes, malformed) are ignored.
public struct ProxyEnvironment: Sendable, Hashable {
    /// The proxy for `http://` and `ws://`, from `http_proxy`.
    public let httpProxy: Proxy?
    /// The proxy for `https://` and `wss://`, from `https_proxy` / `HTTPS_PROXY`.
    public let httpsProxy: Proxy?
    /// The proxy for any scheme without its own, from `all_proxy` / `ALL_PROXY`.
    public let allProxy: Proxy?
    /// The parsed `no_proxy` / `NO_PROXY` entries.
    let noProxy: [NoProxyEntry]

    /// Reads `variables` (by default this process's environment).
    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment) {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { variables[$0] }.first { !$0.isEmpty }
        }
        httpProxy = value("http_proxy").flatMap(ProxyEnvironment.proxy(from:))
        httpsProxy = value("https_proxy", "HTTPS_PROXY").flatMap(ProxyEnvironment.proxy(from:))
        allProxy = value("all_proxy", "ALL_PROXY").flatMap(ProxyEnvironment.proxy(from:))
        noProxy = (value("no_proxy", "NO_PROXY") ?? "")
            .split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
            .compactMap(NoProxyEntry.init)
    }

    /// The proxy for `url`, or ``Proxy/direct``.
    public func proxy(for url: URL) -> Proxy {
        guard let scheme = url.scheme?.lowercased(), let host = URLHost.canonical(of: url) else { return .direct }
        let port = url.port ?? (scheme == "https" || scheme == "wss" ? 443 : 80)
        if bypasses(host: host, port: port) { return .direct }
        let own: Proxy? =
            switch scheme {
            case "http", "ws": httpProxy
            case "https", "wss": httpsProxy
            default: nil
            }
        return own ?? allProxy ?? .direct
    }

    /// Whether `no_proxy` sends `host` at `port` directly.
    public func bypasses(host: String, port: Int) -> Bool {
        let name = NoProxyEntry.normalized(host)
        let address = IPAddressBytes.parse(name)
        return noProxy.contains { $0.matches(name: name, address: address, port: port) }
    }

    /// A proxy from a variable's value, or nil when Courier cannot use it.
    static func proxy(from value: String) -> Proxy? {
        var rest = value.drop(while: \.isWhitespace)
        while rest.last?.isWhitespace == true { rest.removeLast() }
        var scheme = "http"
        let parts = rest.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 {
            scheme = parts[0].lowercased()
            rest = parts[1]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var credentials: Proxy.Credentials?
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let pair = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            credentials = Proxy.Credentials(
                username: percentDecoded(pair[0]), password: pair.count > 1 ? percentDecoded(pair[1]) : "")
        }
        guard let (host, port) = hostAndPort(rest, defaultPort: 1080), !host.isEmpty else { return nil }
        switch scheme {
        case "http":
            guard let credentials else { return .http(host: host, port: port) }
            return .http(host: host, port: port, username: credentials.username, password: credentials.password)
        case "socks5", "socks5h":
            guard let credentials else { return .socks5(host: host, port: port) }
            return .socks5(
                host: host, port: port, username: credentials.username, password: credentials.password)
        default:
            return nil
        }
    }

    /// A URL's userinfo part decoded (`%40` is `@`); left as it is when it does not decode.
    static func percentDecoded(_ text: Substring) -> String {
        let (octets, complete) = PercentDecoding.octets(text)
        guard complete else { return String(text) }
        return String(validating: octets, as: UTF8.self) ?? String(text)
    }

    /// `host[:port]` or `[v6][:port]`; nil when the port is not a valid number.
    static func hostAndPort(_ text: Substring, defaultPort: Int?) -> (String, Int?)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            guard !after.isEmpty else { return (host, defaultPort) }
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()), (1...65535).contains(port) else {
                return nil
            }
            return (host, port)
        }
        let colons = text.filter { $0 == ":" }.count
        guard colons == 1, let colon = text.firstIndex(of: ":") else { return (String(text), defaultPort) }
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        return (String(text[..<colon]), port)
    }

    private static func hostAndPort(_ text: Substring, defaultPort: Int) -> (String, Int)? {
        guard let (host, port) = hostAndPort(text, defaultPort: Optional(defaultPort)) else { return nil }
        return (host, port ?? defaultPort)
    }
}

/// One `no_proxy` entry: everything, a domain, or an address block, with an optional port.
struct NoProxyEntry: Sendable, Hashable {
    enum Pattern: Sendable, Hashable {
        case everything
        case domain(String)
        case addresses([UInt8], prefixLength: Int)
    }

    let pattern: Pattern
    let port: Int?

    init?(_ entry: Substring) {
        if entry == "*" {
            pattern = .everything
            port = nil
            return
        }
        var text = entry
        var bits: Int?
        if let slash = text.lastIndex(of: "/") {
            guard let value = Int(text[text.index(after: slash)...]) else { return nil }
            bits = value
            text = text[..<slash]
        }
        guard let (host, port) = ProxyEnvironment.hostAndPort(text, defaultPort: nil) else { return nil }
        let name = NoProxyEntry.normalized(host.hasPrefix(".") ? String(host.dropFirst()) : host)
        guard !name.isEmpty else { return nil }
        self.port = port
        if let address = IPAddressBytes.parse(name) {
            let length = bits ?? address.count * 8
            guard (0...(address.count * 8)).contains(length) else { return nil }
            pattern = .addresses(address, prefixLength: length)
        } else {
            guard bits == nil else { return nil }
            pattern = .domain(name)
        }
    }

    /// Lower case, no trailing dot, no brackets.
    static func normalized(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasPrefix("[") && name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        while name.hasSuffix(".") { name.removeLast() }
        // A Unicode name compares in the A-label form hosts are kept in (``URLHost``).
        return DomainToASCII.convert(name) ?? name
    }

    func matches(name: String, address: [UInt8]?, port: Int) -> Bool {
        if let own = self.port, own != port { return false }
        switch pattern {
        case .everything:
            return true
        case .domain(let domain):
            return address == nil && (name == domain || name.hasSuffix("." + domain))
        case .addresses(let block, let prefixLength):
            guard let address, address.count == block.count else { return false }
            let whole = prefixLength / 8
            guard address.prefix(whole) == block.prefix(whole) else { return false }
            let rest = prefixLength % 8
            guard rest > 0 else { return true }
            let mask = UInt8(0xFF) << (8 - rest)
            return address[whole] & mask == block[whole] & mask
        }
    }
}
