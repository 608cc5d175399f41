package import CourierCore
import Synchronization

/// Routes that failed recently, tried last next time (OkHttp's `RouteDatabase`).
package final class RouteDatabase: Sendable {
    private let failed = Mutex<Set<Route>>([])

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
}
