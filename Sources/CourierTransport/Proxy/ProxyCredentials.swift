package import CourierCore
import Synchronization

/// The `Proxy-Authorization` each HTTP proxy last accepted or was offered, so that every later
/// request and `CONNECT` through it carries credentials from the start instead of collecting a
/// 407 first. Shared by the clients ``HTTPClient/with(_:)`` derives.
package final class ProxyCredentials: Sendable {
    private let values = Mutex<[Proxy: String]>([:])

    package init() {}

    package func value(for proxy: Proxy) -> String? {
        values.withLock { $0[proxy] }
    }

    package func remember(_ value: String, for proxy: Proxy) {
        values.withLock { $0[proxy] = value }
    }

    /// Forgets `value` if it is still the one kept: the proxy rejected it.
    package func forget(_ value: String, for proxy: Proxy) {
        values.withLock { if $0[proxy] == value { $0[proxy] = nil } }
    }
}
