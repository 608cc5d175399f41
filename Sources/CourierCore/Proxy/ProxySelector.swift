public import FoundationEssentials

/// Chooses the proxies for a URL, tried in the order given (OkHttp's `ProxySelector`).
///
/// A connection attempt walks the list: when a proxy cannot be reached, or refuses the tunnel,
/// the next one is tried, and a proxy that failed is tried after the others on later calls until
/// it works again. ``Proxy/direct`` in the list means "connect directly" at that point; the
/// client never falls back to a direct connection on its own. An empty list means direct.
///
/// ```swift
/// struct Corporate: ProxySelector {
///     func proxies(for url: URL) -> [Proxy] {
///         url.host() == "intranet" ? [.direct] : [.http(host: "a.proxy", port: 3128), .http(host: "b.proxy", port: 3128)]
///     }
/// }
/// config.proxySelector = Corporate()
/// ```
///
/// It is asked for every exchange, before the pool is looked in (connections are pooled per
/// proxy), so it must be fast and must not block.
public protocol ProxySelector: Sendable {
    func proxies(for url: URL) -> [Proxy]
}
