public import CourierCore
import CourierTransport
public import FoundationEssentials
import Synchronization

/// A scripted HTTP/1.1 and HTTP/2 server on an ephemeral loopback port, for tests and demos:
/// Courier's MockWebServer.
///
/// Queue responses and the server answers requests with them in order, or give it a handler
/// that computes each response. Every request is recorded for inspection. Or start it with a
/// ``Chaos`` value, and it answers each request with a seeded mix of complete responses, resets,
/// stalls, truncations, corruption and trickles (over HTTP/1.1 only).
///
/// HTTP/2 is chosen per connection: over TLS by ALPN (`h2`) when ``protocols`` includes it, over
/// cleartext when ``protocols`` includes it and the client opens with the HTTP/2 preface (h2c
/// with prior knowledge). Each stream is recorded and answered like an HTTP/1.1 request, from
/// the same queue or handler, with ``RecordedRequest/version`` `.http2`; ``HTTP2Options`` and
/// ``HTTP2Policy`` script its faults.
///
/// ```swift
/// let server = try await TestServer()
/// server.enqueue(MockResponse(body: "hello"))
/// let response = try await client.send(HTTPRequest(url: server.url("/greeting")))
/// let recorded = try await server.takeRequest()    // method, target, headers, body, sequence number
/// await server.shutdown()
/// ```
public final class TestServer: Sendable {
    /// Computes the response to a request.
    public typealias Handler = @Sendable (RecordedRequest) async -> MockResponse

    /// How the test server speaks TLS.
    public struct TLS: Sendable {
        public var identity: TLSIdentity
        /// When set, the server requires a client certificate issued by one of these.
        public var clientCertificateRoots: [TLSCertificate]?
        public var minimumVersion: TLSVersion
        /// The newest version the server speaks; `.tls1_2` makes it an old server.
        public var maximumVersion: TLSVersion

        public init(
            identity: TLSIdentity,
            clientCertificateRoots: [TLSCertificate]? = nil,
            minimumVersion: TLSVersion = .tls1_2,
            maximumVersion: TLSVersion = .tls1_3
        ) {
            self.identity = identity
            self.clientCertificateRoots = clientCertificateRoots
            self.minimumVersion = minimumVersion
            self.maximumVersion = maximumVersion
        }
    }

    /// The servers' own reactor thread, apart from the clients': a server is another process in
    /// real life, and sharing one thread would make a busy server (TLS on megabytes, hundreds of
    /// handshakes) delay the timers and wake-ups of every client in the process, and the reverse.
    private static let reactors = ReactorGroup(count: 1, name: "courier-test-server")

    private let acceptor: LoopbackAcceptor
    let tlsContext: TLSContext?
    private let queue = Mutex<[MockResponse]>([])
    private let handler: Handler?
    /// Decides every answer when set; the queue and the handler are then unused.
    let chaos: Chaos?
    /// The protocols the server speaks (see ``init(host:tls:protocols:http2:handler:)``).
    public let protocols: [HTTPVersion]
    /// How the server speaks HTTP/2.
    public let http2: HTTP2Options
    private let log = RequestLog()
    private let errorFrames = Mutex<[HTTP2ErrorFrame]>([])

    /// Starts listening on 127.0.0.1 (or `host`) at an ephemeral port.
    ///
    /// ```swift
    /// let server = try await TestServer(protocols: [.http2, .http1_1])    // h2c with prior knowledge too
    /// ```
    ///
    /// - Parameter tls: serve HTTPS with this identity (see ``HeldCertificate``).
    /// - Parameter protocols: `.http2` and/or `.http1_1`. Nil means `[.http2, .http1_1]` with TLS
    ///   (ALPN picks) and `[.http1_1]` over cleartext. Without `.http2` the server never speaks
    ///   it; HTTP/1.1 is spoken to any client that does not choose HTTP/2.
    /// - Parameter http2: SETTINGS and connection-wide faults for HTTP/2 connections.
    /// - Parameter handler: computes each response; without one, enqueued responses are used in
    ///   order and a request that finds the queue empty gets a 404.
    public convenience init(
        host: String = "127.0.0.1", tls: TLS? = nil, protocols: [HTTPVersion]? = nil,
        http2: HTTP2Options = HTTP2Options(), handler: Handler? = nil
    ) async throws {
        let protocols = protocols ?? (tls == nil ? [.http1_1] : [.http2, .http1_1])
        try await self.init(host: host, tls: tls, protocols: protocols, http2: http2, handler: handler, chaos: nil)
    }

    /// Starts listening on 127.0.0.1 (or `host`) at an ephemeral port, answering every request
    /// as `chaos` plans it (see ``Chaos``), over HTTP/1.1 only.
    public convenience init(host: String = "127.0.0.1", tls: TLS? = nil, chaos: Chaos) async throws {
        try await self.init(
            host: host, tls: tls, protocols: [.http1_1], http2: HTTP2Options(), handler: nil, chaos: chaos)
    }

    private init(
        host: String, tls: TLS?, protocols: [HTTPVersion], http2: HTTP2Options, handler: Handler?, chaos: Chaos?
    ) async throws {
        let alpn = protocols.contains(.http2) ? ["h2", "http/1.1"] : ["http/1.1"]
        self.tlsContext = try tls.map { tls throws(HTTPClientError) in
            try TLSContext(
                server: tls.identity,
                clientRoots: tls.clientCertificateRoots,
                minimumVersion: tls.minimumVersion,
                maximumVersion: tls.maximumVersion,
                applicationProtocols: alpn
            )
        }
        self.protocols = protocols
        self.http2 = http2
        self.acceptor = try await LoopbackAcceptor(host: host, reactors: TestServer.reactors)
        self.handler = handler
        self.chaos = chaos
        acceptor.start { [self] socket, index in
            await ServerConnection(socket: socket, index: index, server: self).run()
        }
    }

    /// The port the server listens on.
    public var port: Int { acceptor.listener.address.port }

    /// The host the server listens on, as a URL host.
    public var host: String { acceptor.listener.address.urlHost }

    /// `http://host:port` + `path`, or `https://` when the server speaks TLS.
    public func url(_ path: String = "/") -> URL {
        let scheme = tlsContext == nil ? "http" : "https"
        return URL(string: "\(scheme)://\(host):\(port)\(path.hasPrefix("/") ? path : "/" + path)")!
    }

    /// Adds a response to the queue used when the server has no handler.
    public func enqueue(_ response: MockResponse) {
        queue.withLock { $0.append(response) }
    }

    /// The next recorded request, waiting up to `timeout` for one if none has arrived yet.
    ///
    /// - Throws: ``RequestWaitTimedOut`` when no request comes in time, `CancellationError` when
    ///   the waiting task is cancelled: a missing request fails a test, never hangs it.
    public func takeRequest(timeout: Duration = .seconds(10)) async throws -> RecordedRequest {
        try await log.take(timeout: timeout)
    }

    /// Requests received so far.
    public var requestCount: Int { log.total }

    /// The GOAWAY and RST_STREAM frames HTTP/2 clients sent, in the order they arrived: how a
    /// test sees the error code a client closed a connection or a stream with.
    public var http2ErrorFramesReceived: [HTTP2ErrorFrame] { errorFrames.withLock { $0 } }

    func record(_ frame: HTTP2ErrorFrame) {
        errorFrames.withLock { $0.append(frame) }
    }

    /// Connections accepted so far.
    public var connectionCount: Int { acceptor.accepted }

    /// Connections open right now.
    public var openConnectionCount: Int { acceptor.open }

    /// The most connections that were open at the same moment.
    public var peakConnectionCount: Int { acceptor.peak }

    /// Stops accepting, drops every connection and waits until they are closed.
    public func shutdown() async {
        await acceptor.shutdown()
    }

    /// Closes every open connection now and waits until they are closed; new ones are still accepted.
    public func closeConnections() async {
        await acceptor.closeConnections()
    }

    /// Waits until every connection open now has ended: closed by the client, or failed.
    /// Unbounded: a test bounds it (a connection the client never closes keeps it waiting).
    public func connectionsClosed() async {
        await acceptor.connectionsClosed()
    }

    /// Keeps `request` for `takeRequest`, or with chaos only counts it (see ``Chaos``).
    func record(_ request: RecordedRequest) {
        if chaos == nil { log.record(request) } else { log.count() }
    }

    /// The response to `request`, computed off the reactor because a handler is user code.
    func response(to request: RecordedRequest) async -> MockResponse {
        if let handler {
            return await withTaskExecutorPreference(globalConcurrentExecutor) { await handler(request) }
        }
        return queue.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            ?? MockResponse(
                status: .notFound, body: "No response was enqueued for \(request.method) \(request.target).")
    }

    /// How to answer `Expect: 100-continue`: decided by the next queued response; a handler
    /// cannot be asked before the body is read, so with one the server always continues.
    func expectContinueBehaviour() -> MockResponse.ExpectContinue {
        guard handler == nil else { return .sendContinue }
        return queue.withLock { $0.first?.expectContinue ?? .sendContinue }
    }

    /// The next queued response, taken, if it answers before the request body is read.
    func takeResponseIfAnswerBeforeBody() -> MockResponse? {
        guard handler == nil else { return nil }
        return queue.withLock { queue in
            guard queue.first?.socketPolicy == .answerBeforeBody else { return nil }
            return queue.removeFirst()
        }
    }

    /// The code to reset a new HTTP/2 stream with, taking the next queued response, if that
    /// response is ``HTTP2Policy/resetAtStart(_:)``.
    func takeHTTP2ResetAtStart() -> HTTP2Policy.ErrorCode? {
        guard handler == nil else { return nil }
        return queue.withLock { queue in
            guard case .resetAtStart(let code) = queue.first?.http2Policy else { return nil }
            queue.removeFirst()
            return code
        }
    }

    /// The next queued response's policy, if it must act before the request is read.
    func takeResponseIfDisconnectAtStart() -> Bool {
        guard handler == nil else { return false }
        return queue.withLock { queue in
            guard queue.first?.socketPolicy == .disconnectAtStart else { return false }
            queue.removeFirst()
            return true
        }
    }
}
