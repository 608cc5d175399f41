import CourierCache
import CourierHTTP2
import CourierTransport

/// Sends HTTP requests and streams their responses.
///
/// Create one and share it: it owns a dispatcher that limits concurrent calls and a pool of
/// connections that are kept alive between calls. It needs no set-up and no shutdown.
///
/// ```swift
/// let client = HTTPClient()
/// let response = try await client.send(HTTPRequest(url: URL(string: "https://example.com/")!))
/// for try await chunk in response.body { consume(chunk) }
/// ```
///
/// A call runs in the caller's task: cancelling that task cancels the call wherever it is
/// (queued, connecting, writing, waiting for the head, reading the body) and `send` or the body
/// iteration throws `CancellationError`. The connection involved is closed, never reused.
public final class HTTPClient: Sendable {
    public let configuration: Configuration
    /// Admission of calls; shared by clients made with ``with(_:)``.
    public let dispatcher: Dispatcher
    package let pool: ConnectionPool
    private let routes: RouteDatabase
    private let tlsContexts: TLSContextCache
    private let proxyCredentials: ProxyCredentials
    /// Origins whose WebSockets go straight to HTTP/1.1; shared by clients made with ``with(_:)``.
    let webSocketFallbacks: WebSocketFallbacks
    private let stages: InterceptorStages
    private let settings: CallSettings

    public convenience init(configuration: Configuration = Configuration()) {
        self.init(
            configuration: configuration,
            dispatcher: Dispatcher(
                maxRequests: configuration.maxRequests, maxRequestsPerHost: configuration.maxRequestsPerHost),
            pool: ConnectionPool(
                maxIdleConnections: configuration.maxIdleConnections, keepAlive: configuration.keepAlive,
                maxConnectionsPerAddress: configuration.maxRequestsPerHost),
            routes: RouteDatabase(),
            tlsContexts: TLSContextCache(),
            proxyCredentials: ProxyCredentials(),
            webSocketFallbacks: WebSocketFallbacks()
        )
    }

    private init(
        configuration: Configuration,
        dispatcher: Dispatcher,
        pool: ConnectionPool,
        routes: RouteDatabase,
        tlsContexts: TLSContextCache,
        proxyCredentials: ProxyCredentials,
        webSocketFallbacks: WebSocketFallbacks
    ) {
        precondition(
            configuration.protocols == [.http2]
                || (configuration.protocols.contains(.http1_1) && !configuration.protocols.contains(.http1_0)),
            "Configuration.protocols must contain .http1_1 (and not .http1_0), or be [.http2] for prior knowledge"
        )
        self.configuration = configuration
        self.dispatcher = dispatcher
        self.pool = pool
        self.routes = routes
        self.tlsContexts = tlsContexts
        self.proxyCredentials = proxyCredentials
        self.webSocketFallbacks = webSocketFallbacks
        var settings = CallSettings(
            connectTimeout: configuration.connectTimeout,
            readTimeout: configuration.readTimeout,
            writeTimeout: configuration.writeTimeout,
            expectContinueTimeout: configuration.expectContinueTimeout
        )
        if let jar = configuration.cookieJar {
            settings.receivedInBackground = { response in
                await BridgeInterceptor.saveCookies(in: response.headers, from: response.request.url, to: jar)
            }
        }
        self.settings = settings
        var http2 = HTTP2Configuration()
        http2.pingInterval = configuration.pingInterval
        var builtIn: [any Interceptor] = [
            RetryAndFollowUpInterceptor(
                retryOnConnectionFailure: configuration.retryOnConnectionFailure,
                policy: FollowUp.Policy(
                    followRedirects: configuration.followRedirects,
                    followSSLRedirects: configuration.followSSLRedirects,
                    retryOnConnectionFailure: configuration.retryOnConnectionFailure,
                    authenticator: configuration.authenticator,
                    proxyAuthenticator: configuration.proxyAuthenticator
                )
            ),
            BridgeInterceptor(
                userAgent: configuration.userAgent,
                decompressionLimit: configuration.decompressionLimit,
                cookieJar: configuration.cookieJar
            ),
            ConnectInterceptor(
                pool: pool,
                factory: ConnectionFactory(
                    connector: Connector(
                        resolver: configuration.dnsResolver,
                        routes: routes,
                        tlsContexts: tlsContexts,
                        attemptDelay: configuration.connectionAttemptDelay,
                        proxyAuthenticator: configuration.proxyAuthenticator,
                        proxyCredentials: proxyCredentials,
                        userAgent: configuration.userAgent
                    ),
                    http2: http2,
                    pool: pool
                ),
                tls: configuration.tls,
                protocols: configuration.protocols,
                proxies: ProxyChoice(proxy: configuration.proxy, selector: configuration.proxySelector),
                routes: routes,
                proxyCredentials: proxyCredentials
            ),
        ]
        // Below the bridge, so the cache stores what the network sent and the bridge decodes hits
        // too; above connect, so a hit opens no connection.
        if let cache = configuration.cache { builtIn.insert(CacheInterceptor(cache: cache), at: 2) }
        let interceptors =
            configuration.interceptors + builtIn + configuration.networkInterceptors + [CallServerInterceptor()]
        let networkStart = configuration.interceptors.count + builtIn.count
        self.stages = InterceptorStages(
            interceptors: interceptors,
            networkRange: networkStart..<(networkStart + configuration.networkInterceptors.count)
        )
    }

    /// A client with a modified configuration that shares this one's connection pool, route
    /// database, TLS contexts, proxy credentials and dispatcher, so it costs nothing to make one per call site.
    /// Connections are pooled per TLS configuration, so changing `tls` never reuses a
    /// connection made with other settings.
    ///
    /// The dispatcher's limits and the pool's settings stay those of the original client.
    public func with(_ modify: (inout Configuration) -> Void) -> HTTPClient {
        var configuration = self.configuration
        modify(&configuration)
        return HTTPClient(
            configuration: configuration,
            dispatcher: dispatcher,
            pool: pool,
            routes: routes,
            tlsContexts: tlsContexts,
            proxyCredentials: proxyCredentials,
            webSocketFallbacks: webSocketFallbacks
        )
    }

    /// Sends `request` and returns the response once its head has arrived; the body streams.
    ///
    /// - Throws: `HTTPClientError` for every failure (`.timeout(.call)` when `callTimeout`
    ///   elapses), `CancellationError` when the task is cancelled.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            return try await call(request)
        } catch let unavailable as UpgradeUnavailable {
            throw unavailable.error
        }
    }

    /// ``send(_:)``, except that a request to switch protocols that its HTTP/2 connection cannot
    /// carry throws `UpgradeUnavailable`, on which ``webSocket(_:)`` tries HTTP/1.1.
    func call(_ request: HTTPRequest) async throws -> HTTPResponse {
        let deadline = configuration.callTimeout.map { ContinuousClock.now + $0 }
        let call = CallContext(
            request: request, listener: configuration.eventListener, settings: settings, deadline: deadline)
        call.emit { $0.callStart($1) }
        do {
            try request.validate()
            let target = try request.target
            // Calls that may share an HTTP/2 connection are bounded per host by the pool instead.
            let perHost = !Address.mayMultiplex(secure: target.isSecure, protocols: configuration.protocols)
            let response: HTTPResponse
            if let callTimeout = configuration.callTimeout, let deadline {
                response = try await CallTimeout.run(limit: callTimeout, deadline: deadline, request: request) {
                    try await self.admitAndProceed(request, host: target.host, perHost: perHost, call: call)
                }
            } else {
                response = try await admitAndProceed(request, host: target.host, perHost: perHost, call: call)
            }
            return await CallCompletion.attach(
                to: consume response, dispatcher: dispatcher, host: target.host, perHost: perHost, call: call)
        } catch {
            if CallCompletion.cancels(error) { call.emit { $0.canceled($1) } }
            let reported = (error as? UpgradeUnavailable)?.error ?? error
            call.end { $0.callFailed($1, error: reported) }
            throw error
        }
    }

    private func admitAndProceed(
        _ request: HTTPRequest, host: String, perHost: Bool, call: CallContext
    ) async throws -> HTTPResponse {
        try await dispatcher.admit(host: host, perHost: perHost)
        do {
            return try await Chain(stages: stages, call: call).proceed(request)
        } catch {
            await dispatcher.finished(host: host, perHost: perHost)
            throw error
        }
    }

    /// Closes idle pooled connections now. Optional: idle connections also close on their own
    /// after `keepAlive`, and nothing else needs tearing down.
    public func shutdown() async {
        await pool.evictAll()
    }

    /// Connections this client's pool holds open, idle or in use.
    public var openConnectionCount: Int {
        get async { await pool.openConnectionCount }
    }

    /// Idle connections waiting in this client's pool.
    public var idleConnectionCount: Int {
        get async { await pool.idleConnectionCount }
    }
}
