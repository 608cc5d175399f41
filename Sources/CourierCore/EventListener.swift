public import FoundationEssentials

/// Observes the phases of calls, in OkHttp's order, for metrics and tracing.
///
/// Every method has an empty default, so implement only what you need. Callbacks are
/// synchronous and may run on Courier's I/O thread, right where the event happens, so that
/// their timestamps are true: keep them fast and never block in them.
///
/// For a call on a new connection the order is: `callStart`, `proxySelectStart`,
/// `proxySelectEnd`, `dnsStart`, `dnsEnd`,
/// `connectStart`, [`secureConnectStart`, `secureConnectEnd` for HTTPS], `connectEnd` (or
/// `connectFailed`, then another `connectStart`),
/// `connectionAcquired`, `requestHeadersStart`, `requestHeadersEnd`, [`requestBodyStart`,
/// `requestBodyEnd`], `responseHeadersStart`, `responseHeadersEnd`, `responseBodyStart`,
/// `responseBodyEnd`, `connectionReleased`, `callEnd`. `responseBodyEnd` and
/// `connectionReleased` come when the body has arrived whole, which for a small HTTP/2 response
/// is before `send` returns, the body then held in memory. A pooled connection skips DNS and
/// connect (the proxies are selected for every exchange: the pool keeps connections per proxy).
/// Through a proxy, DNS is the proxy's host (none for the origin), and the route of
/// `connectStart`/`connectEnd` names the proxy. A failed call ends with `callFailed`; a cancelled
/// one — by its task, or by `callTimeout` — with `canceled`, then `callFailed`. Nothing follows
/// `callEnd` or `callFailed`: a connect the call started and another call took over reports no
/// further. With a cache, `cacheHit`, `cacheMiss` or
/// `satisfactionFailure` come after `callStart` (a revalidation emits `cacheConditionalHit`
/// before its network events, then `cacheHit` or `cacheMiss` once the server has answered).
public protocol EventListener: Sendable {
    func callStart(_ call: CallInfo)
    func proxySelectStart(_ call: CallInfo, url: URL)
    func proxySelectEnd(_ call: CallInfo, url: URL, proxies: [Proxy])
    func dnsStart(_ call: CallInfo, host: String)
    func dnsEnd(_ call: CallInfo, host: String, addresses: [ResolvedAddress])
    func connectStart(_ call: CallInfo, route: Route)
    func secureConnectStart(_ call: CallInfo)
    func secureConnectEnd(_ call: CallInfo, handshake: TLSHandshake)
    func connectEnd(_ call: CallInfo, route: Route, version: HTTPVersion)
    func connectFailed(_ call: CallInfo, route: Route, error: any Error)
    func connectionAcquired(_ call: CallInfo, connection: ConnectionInfo)
    func connectionReleased(_ call: CallInfo, connection: ConnectionInfo)
    func requestHeadersStart(_ call: CallInfo)
    func requestHeadersEnd(_ call: CallInfo, request: HTTPRequest)
    func requestBodyStart(_ call: CallInfo)
    func requestBodyEnd(_ call: CallInfo, byteCount: Int)
    func responseHeadersStart(_ call: CallInfo)
    func responseHeadersEnd(_ call: CallInfo, response: HTTPResponse)
    func responseBodyStart(_ call: CallInfo)
    func responseBodyEnd(_ call: CallInfo, byteCount: Int)
    func callEnd(_ call: CallInfo)
    func callFailed(_ call: CallInfo, error: any Error)
    func canceled(_ call: CallInfo)
    /// The cache answered the call without the network, or after the server confirmed with a
    /// 304 that the stored response is still good; `response` is what the caller receives.
    func cacheHit(_ call: CallInfo, response: HTTPResponse)
    /// The cache had nothing it could use (or only a response the server replaced), so the
    /// call's response comes from the network.
    func cacheMiss(_ call: CallInfo)
    /// The cache holds a stale response and is asking the server whether it is still good;
    /// `cachedResponse` is that stored response, without its body.
    func cacheConditionalHit(_ call: CallInfo, cachedResponse: HTTPResponse)
    /// The request said `only-if-cached` and the cache had nothing usable: the call ends with
    /// a 504 `response` that never touched the network.
    func satisfactionFailure(_ call: CallInfo, response: HTTPResponse)
}

extension EventListener {
    public func callStart(_ call: CallInfo) {}
    public func proxySelectStart(_ call: CallInfo, url: URL) {}
    public func proxySelectEnd(_ call: CallInfo, url: URL, proxies: [Proxy]) {}
    public func dnsStart(_ call: CallInfo, host: String) {}
    public func dnsEnd(_ call: CallInfo, host: String, addresses: [ResolvedAddress]) {}
    public func connectStart(_ call: CallInfo, route: Route) {}
    public func secureConnectStart(_ call: CallInfo) {}
    public func secureConnectEnd(_ call: CallInfo, handshake: TLSHandshake) {}
    public func connectEnd(_ call: CallInfo, route: Route, version: HTTPVersion) {}
    public func connectFailed(_ call: CallInfo, route: Route, error: any Error) {}
    public func connectionAcquired(_ call: CallInfo, connection: ConnectionInfo) {}
    public func connectionReleased(_ call: CallInfo, connection: ConnectionInfo) {}
    public func requestHeadersStart(_ call: CallInfo) {}
    public func requestHeadersEnd(_ call: CallInfo, request: HTTPRequest) {}
    public func requestBodyStart(_ call: CallInfo) {}
    public func requestBodyEnd(_ call: CallInfo, byteCount: Int) {}
    public func responseHeadersStart(_ call: CallInfo) {}
    public func responseHeadersEnd(_ call: CallInfo, response: HTTPResponse) {}
    public func responseBodyStart(_ call: CallInfo) {}
    public func responseBodyEnd(_ call: CallInfo, byteCount: Int) {}
    public func callEnd(_ call: CallInfo) {}
    public func callFailed(_ call: CallInfo, error: any Error) {}
    public func canceled(_ call: CallInfo) {}
    public func cacheHit(_ call: CallInfo, response: HTTPResponse) {}
    public func cacheMiss(_ call: CallInfo) {}
    public func cacheConditionalHit(_ call: CallInfo, cachedResponse: HTTPResponse) {}
    public func satisfactionFailure(_ call: CallInfo, response: HTTPResponse) {}
}

/// Which call an event belongs to.
public struct CallInfo: Sendable, CustomStringConvertible {
    /// Unique within the process.
    public let id: UInt64
    /// The request as the caller passed it to `send`.
    public let request: HTTPRequest

    public init(id: UInt64, request: HTTPRequest) {
        self.id = id
        self.request = request
    }

    public var description: String { "call #\(id) \(request.method) \(request.url.absoluteString)" }
}
