public import FoundationEssentials

/// Proxies from the process environment (`http_proxy`, `https_proxy`, `all_proxy`, `no_proxy`),
/// read with curl's rules (see ``ProxyEnvironment``).
///
/// Off by default: a client uses a proxy only when its configuration says so. A library runs
/// inside other programs — servers, CGI scripts, tools run with a borrowed environment — where
/// traffic silently following a variable set for someone else is a surprise at best and, for
/// `HTTP_PROXY` under CGI, an attack. Opting in is one line, as curl and Go users expect:
///
/// ```swift
/// config.proxySelector = EnvironmentProxySelector()
/// ```
///
/// The environment is read once, when the selector is made.
public struct EnvironmentProxySelector: ProxySelector {
    public let environment: ProxyEnvironment

    public init(environment: ProxyEnvironment = ProxyEnvironment()) {
        self.environment = environment
    }

    public func proxies(for url: URL) -> [Proxy] {
        [environment.proxy(for: url)]
    }
}
