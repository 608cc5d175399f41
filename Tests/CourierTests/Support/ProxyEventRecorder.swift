import Courier
import Synchronization

/// Records the proxy side of events: the selection, and the proxy of every connect event's route.
final class ProxyEventRecorder: EventListener {
    private let log = Mutex<[String]>([])

    var events: [String] { log.withLock { $0 } }

    private func add(_ event: String) {
        log.withLock { $0.append(event) }
    }

    func proxySelectStart(_ call: CallInfo, url: URL) { add("proxySelectStart") }
    func proxySelectEnd(_ call: CallInfo, url: URL, proxies: [Proxy]) {
        add("proxySelectEnd(\(proxies.map(\.description).joined(separator: ", ")))")
    }
    func dnsStart(_ call: CallInfo, host: String) { add("dnsStart(\(host))") }
    func connectStart(_ call: CallInfo, route: Route) { add("connectStart(\(route.proxy))") }
    func connectEnd(_ call: CallInfo, route: Route, version: HTTPVersion) { add("connectEnd(\(route.proxy))") }
    func connectFailed(_ call: CallInfo, route: Route, error: any Error) { add("connectFailed(\(route.proxy))") }
    func connectionAcquired(_ call: CallInfo, connection: ConnectionInfo) { add("connectionAcquired") }
}
