package import CourierCore
import Synchronization

/// Routes and proxies that failed recently, tried last next time (OkHttp's `RouteDatabase`).
package final class RouteDatabase: Sendable {
    private let failed = Mutex<Set<Route>>([])
    private let failedProxies = Mutex<Set<Proxy>>([])

    package init() {}

    package func failed(_ route: Route) {
        _ = failed.withLock { $0.insert(route) }
    }

    package func connected(_ route: Route) {
        _ = failed.withLock { $0.remove(route) }
    }

    package func hasFailed(_ route: Route) -> Bool {
        failed.withLock { $0.contains(route) }
    }

    /// A connection through `proxy` failed: the proxy goes last among a selector's choices until
    /// a connection through it works again.
    package func failed(_ proxy: Proxy) {
        _ = failedProxies.withLock { $0.insert(proxy) }
    }

    package func connected(through proxy: Proxy) {
        _ = failedProxies.withLock { $0.remove(proxy) }
    }

    /// `proxies` with those that failed recently moved last, each group in the selector's order
    /// (OkHttp's `RouteSelector` postpones failed routes the same way).
    package func order(_ proxies: [Proxy]) -> [Proxy] {
        let failed = failedProxies.withLock { $0 }
        guard !failed.isEmpty else { return proxies }
        return proxies.filter { !failed.contains($0) } + proxies.filter { failed.contains($0) }
    }
}
