public import CourierCore
import CourierTransport

/// An HTTP proxy on an ephemeral loopback port, for tests of code that goes through one: it
/// forwards `http://` requests sent in absolute form and opens `CONNECT` tunnels, and can ask
/// for credentials (407), refuse tunnels, or cut a tunnel short.
///
/// ```swift
/// let proxy = try await TestProxy(options: .init(requiredAuthorization: "Basic dTpw"))
/// var config = HTTPClient.Configuration()
/// config.proxy = .http(host: proxy.host, port: proxy.port)
/// config.proxyAuthenticator = BasicAuthenticator(username: "u", password: "p")
/// // … send requests to a TestServer: they go through the proxy …
/// let seen = try await proxy.takeRequest()     // "GET http://127.0.0.1:…/" or "CONNECT 127.0.0.1:…"
/// await proxy.shutdown()
/// ```
///
/// Origins are dialled by IP address only (a test's servers listen on loopback); a host name is
/// answered with 502. A forwarded request reaches its origin on a connection of its own that
/// is closed after the response, and the response comes back with a `Content-Length`.
public final class TestProxy: Sendable {
    /// How the proxy behaves.
    public struct Options: Sendable {
        /// When set, every request and `CONNECT` must carry exactly this `Proxy-Authorization`,
        /// or it is answered 407 with `Proxy-Authenticate: Basic realm="TestProxy"`.
        public var requiredAuthorization: String?
        /// Close the connection after a 407 (`Connection: close`), so the client must try again on
        /// a new one.
        public var closeAfterChallenge: Bool
        /// Answer `CONNECT` with this status (a body of its reason phrase) instead of tunnelling.
        public var connectStatus: HTTPStatus?
        /// Close a tunnel once this many bytes have gone from the origin to the client.
        public var closeTunnelAfterBytes: Int?

        public init(
            requiredAuthorization: String? = nil, closeAfterChallenge: Bool = false, connectStatus: HTTPStatus? = nil,
            closeTunnelAfterBytes: Int? = nil
        ) {
            self.requiredAuthorization = requiredAuthorization
            self.closeAfterChallenge = closeAfterChallenge
            self.connectStatus = connectStatus
            self.closeTunnelAfterBytes = closeTunnelAfterBytes
        }
    }

    /// The proxy's own reactor thread, apart from the clients' (as ``TestServer``'s).
    private static let reactors = ReactorGroup(count: 1, name: "courier-test-proxy")

    public let options: Options
    private let acceptor: LoopbackAcceptor
    private let log = RequestLog()

    /// Starts listening on 127.0.0.1 at an ephemeral port.
    public init(options: Options = Options()) async throws {
        self.options = options
        self.acceptor = try await LoopbackAcceptor(host: "127.0.0.1", reactors: TestProxy.reactors)
        acceptor.start { [self] socket, index in
            await ProxyConnection(client: socket, index: index, proxy: self).run()
        }
    }

    /// The host the proxy listens on.
    public var host: String { acceptor.listener.address.urlHost }

    /// The port the proxy listens on.
    public var port: Int { acceptor.listener.address.port }

    /// The next request the proxy received — forwarded ones in absolute form, `CONNECT`s with
    /// their `host:port` target, and the ones it answered 407 — waiting up to `timeout`.
    public func takeRequest(timeout: Duration = .seconds(10)) async throws -> RecordedRequest {
        try await log.take(timeout: timeout)
    }

    /// Requests received so far.
    public var requestCount: Int { log.total }

    /// Client connections accepted so far.
    public var connectionCount: Int { acceptor.accepted }

    /// Client connections open right now.
    public var openConnectionCount: Int { acceptor.open }

    /// Stops accepting, drops every connection and tunnel, and waits until they are closed.
    public func shutdown() async {
        await acceptor.shutdown()
    }

    func record(_ request: RecordedRequest) {
        log.record(request)
    }
}
