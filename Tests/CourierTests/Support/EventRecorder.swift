import Courier
import Synchronization

/// An EventListener that writes every event down, by name, for tests to compare.
final class EventRecorder: EventListener {
    private let log = Mutex<[String]>([])

    var events: [String] { log.withLock { $0 } }

    private func add(_ event: String) {
        log.withLock { $0.append(event) }
    }

    func callStart(_ call: CallInfo) { add("callStart") }
    func dnsStart(_ call: CallInfo, host: String) { add("dnsStart") }
    func dnsEnd(_ call: CallInfo, host: String, addresses: [ResolvedAddress]) { add("dnsEnd") }
    func connectStart(_ call: CallInfo, route: Route) { add("connectStart") }
    func secureConnectStart(_ call: CallInfo) { add("secureConnectStart") }
    func secureConnectEnd(_ call: CallInfo, handshake: TLSHandshake) { add("secureConnectEnd") }
    func connectEnd(_ call: CallInfo, route: Route, version: HTTPVersion) { add("connectEnd") }
    func connectFailed(_ call: CallInfo, route: Route, error: any Error) { add("connectFailed") }
    func connectionAcquired(_ call: CallInfo, connection: ConnectionInfo) { add("connectionAcquired") }
    func connectionReleased(_ call: CallInfo, connection: ConnectionInfo) { add("connectionReleased") }
    func requestHeadersStart(_ call: CallInfo) { add("requestHeadersStart") }
    func requestHeadersEnd(_ call: CallInfo, request: HTTPRequest) { add("requestHeadersEnd") }
    func requestBodyStart(_ call: CallInfo) { add("requestBodyStart") }
    func requestBodyEnd(_ call: CallInfo, byteCount: Int) { add("requestBodyEnd(\(byteCount))") }
    func responseHeadersStart(_ call: CallInfo) { add("responseHeadersStart") }
    func responseHeadersEnd(_ call: CallInfo, response: HTTPResponse) {
        add("responseHeadersEnd(\(response.status.code))")
    }
    func responseBodyStart(_ call: CallInfo) { add("responseBodyStart") }
    func responseBodyEnd(_ call: CallInfo, byteCount: Int) { add("responseBodyEnd(\(byteCount))") }
    func callEnd(_ call: CallInfo) { add("callEnd") }
    func callFailed(_ call: CallInfo, error: any Error) { add("callFailed") }
    func canceled(_ call: CallInfo) { add("canceled") }
    func cacheHit(_ call: CallInfo, response: HTTPResponse) { add("cacheHit") }
    func cacheMiss(_ call: CallInfo) { add("cacheMiss") }
    func cacheConditionalHit(_ call: CallInfo, cachedResponse: HTTPResponse) { add("cacheConditionalHit") }
    func satisfactionFailure(_ call: CallInfo, response: HTTPResponse) { add("satisfactionFailure") }
}
