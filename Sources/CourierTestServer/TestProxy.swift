public import CourierCore
import CourierTransport
import Synchronization

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
    private let listener: ListeningSocket
    private let log = RequestLog()
    private let connections = Mutex<(tasks: [Int: Task<Void, Never>], accepted: Int)>(([:], 0))
    private let acceptTask = Mutex<Task<Void, Never>?>(nil)

    /// Starts listening on 127.0.0.1 at an ephemeral port.
    public init(options: Options = Options()) async throws {
        self.options = options
        let reactor = try TestProxy.reactors.nextReactor()
        self.listener = try await withTaskExecutorPreference(reactor) {
            try ListeningSocket(host: "127.0.0.1", port: 0, on: reactor)
        }
        let task = Task(executorPreference: reactor) { [self] in await acceptLoop() }
        acceptTask.withLock { $0 = task }
    }

    /// The host the proxy listens on.
    public var host: String { listener.address.urlHost }

    /// The port the proxy listens on.
    public var port: Int { listener.address.port }

    /// The next request the proxy received — forwarded ones in absolute form, `CONNECT`s with
    /// their `host:port` target, and the ones it answered 407 — waiting up to `timeout`.
    public func takeRequest(timeout: Duration = .seconds(10)) async throws -> RecordedRequest {
        try await log.take(timeout: timeout)
    }

    /// Requests received so far.
    public var requestCount: Int { log.total }

    /// Client connections accepted so far.
    public var connectionCount: Int { connections.withLock { $0.accepted } }

    /// Client connections open right now.
    public var openConnectionCount: Int { connections.withLock { $0.tasks.count } }

    /// Stops accepting, drops every connection and tunnel, and waits until they are closed.
    public func shutdown() async {
        let task = acceptTask.withLock { $0 }
        task?.cancel()
        await task?.value
        let tasks = connections.withLock { Array($0.tasks.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    func record(_ request: RecordedRequest) {
        log.record(request)
    }

    private func acceptLoop() async {
        defer { listener.close() }
        while true {
            let socket: Socket
            do {
                socket = try await listener.accept()
            } catch {
                return
            }
            let connection = connections.withLock { state in
                state.accepted += 1
                return ProxyConnection(client: socket, index: state.accepted - 1, proxy: self)
            }
            connections.withLock { state in
                state.tasks[connection.index] = Task(executorPreference: socket.reactor) { [self] in
                    await connection.run()
                    connections.withLock { _ = $0.tasks.removeValue(forKey: connection.index) }
                }
            }
        }
    }
}
