extension HTTPClient {
    /// Everything a client can be told. A value: copy it, change it, make another client.
    ///
    /// ```swift
    /// var config = HTTPClient.Configuration()
    /// config.connectTimeout = .seconds(10)
    /// config.interceptors = [LoggingInterceptor(level: .headers)]
    /// let client = HTTPClient(configuration: config)
    /// ```
    public struct Configuration: Sendable {
        /// Longest time to connect to one address of a host (TCP and TLS), per attempt; DNS is
        /// bounded by `callTimeout` only. nil waits as long as the kernel does.
        public var connectTimeout: Duration? = .seconds(10)
        /// Longest wait for the next byte of a response (head or body), counted afresh for each
        /// wait, so it never ends a response that keeps arriving however slowly. nil waits forever.
        public var readTimeout: Duration? = .seconds(10)
        /// Longest wait for the socket to accept more of a request. nil waits forever.
        public var writeTimeout: Duration? = .seconds(10)
        /// Longest time the whole call may take, as OkHttp's does: waiting for admission, DNS,
        /// connecting, writing the request, reading the response head, every redirect and retry,
        /// and reading the body to its end. Each wait for the socket ends at this deadline or at
        /// its own `readTimeout`/`writeTimeout`, whichever comes first. nil (the default) sets no limit.
        public var callTimeout: Duration?
        /// How long a request with `Expect: 100-continue` waits for the server's interim response
        /// before sending its body anyway.
        public var expectContinueTimeout: Duration = .seconds(1)
        /// Answers 401 challenges from servers, within its ``AuthenticationScope`` (by default the
        /// origin the call was sent to); nil (the default) returns them to the caller.
        public var authenticator: (any Authenticator)?
        /// Answers 407 challenges from HTTP proxies: to a forwarded `http://` request, and to the
        /// `CONNECT` that opens a tunnel for `https://` and `wss://`. What it answers is then sent
        /// with every request and `CONNECT` through that proxy, and never to an origin.
        public var proxyAuthenticator: (any Authenticator)?
        /// The proxy every connection goes through; nil (the default) connects directly, unless
        /// `proxySelector` is set. When both are set, this one wins.
        public var proxy: Proxy?
        /// Chooses proxies per URL, tried in order when one fails (see ``ProxySelector``); used
        /// when `proxy` is nil. `EnvironmentProxySelector()` reads `http_proxy`, `https_proxy`,
        /// `all_proxy` and `no_proxy` as curl does. nil (the default) connects directly: the
        /// environment is not read unless asked (``EnvironmentProxySelector`` says why).
        public var proxySelector: (any ProxySelector)?
        /// Follow redirects (301, 302, 303, 307, 308), up to 20 in a row. A 303 turns the request
        /// into a GET (HEAD stays HEAD), a 301 or 302 only a POST, as browsers do; every other
        /// method keeps its body, and a body that cannot be sent again (a stream) is not followed.
        public var followRedirects = true
        /// Follow redirects that switch between http and https (in either direction).
        public var followSSLRedirects = true
        /// Retry a request that failed because a pooled connection turned out to be closed by
        /// the server, on a fresh connection, when replaying it is safe: the method is idempotent
        /// or the request was not completely sent. Non-idempotent requests that were sent are
        /// never replayed, nor are stream bodies once started.
        public var retryOnConnectionFailure = true
        /// Calls running at once, over all hosts.
        public var maxRequests = 64
        /// Calls running at once to one host over HTTP/1.1, and connections open to one host
        /// whatever the protocol. Calls that may share an HTTP/2 connection are not counted
        /// against it: they are bounded by `maxRequests` and by the streams each connection's
        /// server allows (a call beyond those waits, or opens another connection up to this limit).
        public var maxRequestsPerHost = 5
        /// Idle connections kept for reuse, over all hosts.
        public var maxIdleConnections = 5
        /// How long an idle connection is kept.
        public var keepAlive: Duration = .seconds(300)
        /// Application interceptors, outermost first: they see each call once.
        public var interceptors: [any Interceptor] = []
        /// Network interceptors: they see each exchange on a connection and must call `proceed` once.
        public var networkInterceptors: [any Interceptor] = []
        /// Protocols to speak, in order of preference. Over TLS, ALPN offers them and the server
        /// chooses. Over cleartext, HTTP/1.1 is spoken, unless the list is exactly `[.http2]`:
        /// HTTP/2 with prior knowledge (h2c), as in OkHttp; an HTTP/1.1 `Upgrade: h2c` is never
        /// attempted. The list must contain `.http1_1`, or be `[.http2]`; `.http1_0` is not offered.
        public var protocols: [HTTPVersion] = [.http2, .http1_1]
        /// How often an HTTP/2 connection is pinged while it carries calls, and a WebSocket while
        /// it is open. An HTTP/2 connection whose PING goes unanswered for this long is taken as
        /// degraded and gets no new calls; a WebSocket whose ping gets no pong before the next
        /// one is due fails with `.timeout(.read)`. nil (the default) sends no pings.
        public var pingInterval: Duration?
        /// How WebSockets behave: maximum message size, buffering, compression, close timeout.
        public var webSocket = WebSocketOptions()
        /// How HTTPS connections are secured: trust roots, pins, client identity, minimum version.
        public var tls = TLSConfiguration()
        /// How long a connection attempt to one address runs before the next address is tried
        /// alongside it (RFC 8305's Connection Attempt Delay; at least 10 ms, as the RFC requires).
        /// A failed attempt starts the next at once.
        public var connectionAttemptDelay: Duration = .milliseconds(250)
        /// How host names become addresses.
        public var dnsResolver: any DNSResolver = SystemDNSResolver()
        /// A private HTTP cache consulted before the network; nil (the default) caches nothing.
        /// Clients made with ``HTTPClient/with(_:)`` share it, as they share the pool.
        public var cache: HTTPCache?
        /// Keeps cookies between calls; nil (the default) sends and keeps none.
        public var cookieJar: (any CookieJar)?
        /// Bounds on transparently decompressed bodies (decompression-bomb protection).
        public var decompressionLimit = DecompressionLimit()
        /// The `User-Agent` sent when a request has none.
        public var userAgent = "Courier/\(Courier.version)"
        /// Told about every phase of every call; nil (the default) costs nothing.
        public var eventListener: (any EventListener)?

        public init() {}
    }
}

/// Courier's version, as sent in the default `User-Agent`.
public enum Courier {
    public static let version = "0.1.0"
}
