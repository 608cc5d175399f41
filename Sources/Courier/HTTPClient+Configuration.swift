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
        /// Longest time to resolve and connect to a host, per attempt. nil waits as long as the kernel does.
        public var connectTimeout: Duration? = .seconds(10)
        /// Longest wait for the next byte of a response (head or body). nil waits forever.
        public var readTimeout: Duration? = .seconds(10)
        /// Longest wait for the socket to accept more of a request. nil waits forever.
        public var writeTimeout: Duration? = .seconds(10)
        /// Calls running at once, over all hosts.
        public var maxRequests = 64
        /// Calls running at once to one host; with HTTP/1.1 this also bounds the connections to it.
        public var maxRequestsPerHost = 5
        /// Idle connections kept for reuse, over all hosts.
        public var maxIdleConnections = 5
        /// How long an idle connection is kept.
        public var keepAlive: Duration = .seconds(300)
        /// Application interceptors, outermost first: they see each call once.
        public var interceptors: [any Interceptor] = []
        /// Network interceptors: they see each exchange on a connection and must call `proceed` once.
        public var networkInterceptors: [any Interceptor] = []
        /// Protocols to offer, in order of preference. This build speaks HTTP/1.1.
        public var protocols: [HTTPVersion] = [.http1_1]
        /// How host names become addresses.
        public var dnsResolver: any DNSResolver = SystemDNSResolver()
        /// The `User-Agent` sent when a request has none.
        public var userAgent = "Courier/\(Courier.version)"

        public init() {}
    }
}

/// Courier's version, as sent in the default `User-Agent`.
public enum Courier {
    public static let version = "0.1.0"
}
