import Courier
import CourierTestServer
import CourierWebSocket
import Synchronization
import Testing

/// Calls through ``TestProxy``: forwarding, tunnels, credentials, refusals, several proxies.
@Suite("Proxies")
struct ProxyTests {
    static let authority = try! HeldCertificate.authority()
    static let credentials = BasicAuthenticator(username: "u", password: "p").credentials

    static func client(
        _ proxy: TestProxy?, protocols: [HTTPVersion] = [.http1_1],
        _ modify: (inout HTTPClient.Configuration) -> Void = { _ in }
    ) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.proxy = proxy.map { .http(host: $0.host, port: $0.port) }
        configuration.tls.trustRoots = [authority.certificate]
        configuration.protocols = protocols
        modify(&configuration)
        return HTTPClient(configuration: configuration)
    }

    static func tlsServer(protocols: [HTTPVersion]? = nil) async throws -> TestServer {
        let identity = try HeldCertificate.leaf(issuedBy: authority).identity
        return try await TestServer(tls: .init(identity: identity), protocols: protocols) { request in
            MockResponse(body: "origin \(request.path) \(request.version)")
        }
    }

    static func plainServer() async throws -> TestServer {
        try await TestServer { request in MockResponse(body: "origin \(request.path)") }
    }

    @Test("http:// goes to the proxy in absolute form; the origin sees origin form and no proxy headers")
    func forwarding() async throws {
        try await withTimeout {
            let (origin, proxy) = (try await ProxyTests.plainServer(), try await TestProxy())
            let client = ProxyTests.client(proxy)
            let response = try await client.send(HTTPRequest(url: origin.url("/hello?x=1")))
            #expect(try await response.body.string() == "origin /hello")
            let seen = try await proxy.takeRequest()
            #expect(seen.method == .get)
            #expect(seen.target == "http://127.0.0.1:\(origin.port)/hello?x=1")
            #expect(seen.headers["Host"] == "127.0.0.1:\(origin.port)")
            let arrived = try await origin.takeRequest()
            #expect(arrived.target == "/hello?x=1")
            #expect(!arrived.headers.contains("Proxy-Authorization"))
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test(
        "An origin's 407 is returned as it is: without a proxy, direct by the selector's choice, or inside a tunnel, proxyAuthenticator is not asked"
    )
    func originProxyChallenge() async throws {
        try await withTimeout {
            let challenge = MockResponse(
                status: HTTPStatus(code: 407), headers: ["Proxy-Authenticate": "Basic realm=\"origin\""])
            let origin = try await TestServer { _ in challenge }
            let asked = Tally()
            let direct = Transport.http1.client {
                $0.proxyAuthenticator = CountingAuthenticator(tally: asked)
            }
            #expect(try await direct.send(HTTPRequest(url: origin.url("/a"))).status.code == 407)
            let chosenDirect = ProxyTests.client(nil) {
                $0.proxySelector = FixedSelector(proxies: [.direct])
                $0.proxyAuthenticator = CountingAuthenticator(tally: asked)
            }
            #expect(try await chosenDirect.send(HTTPRequest(url: origin.url("/c"))).status.code == 407)
            let tls = try HeldCertificate.leaf(issuedBy: ProxyTests.authority)
            let secure = try await TestServer(tls: TestServer.TLS(identity: tls.identity)) { _ in challenge }
            let proxy = try await TestProxy()
            let tunnelled = ProxyTests.client(proxy) {
                $0.proxyAuthenticator = CountingAuthenticator(tally: asked)
            }
            #expect(try await tunnelled.send(HTTPRequest(url: secure.url("/b"))).status.code == 407)
            #expect(asked.all.isEmpty)
            #expect(origin.requestCount == 2 && secure.requestCount == 1)
            await proxy.shutdown()
            await origin.shutdown()
            await secure.shutdown()
        }
    }

    @Test(
        "A forwarding proxy's 407 is answered by proxyAuthenticator, and later requests carry the credentials from the start"
    )
    func forwardingAuthentication() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            let proxy = try await TestProxy(options: .init(requiredAuthorization: ProxyTests.credentials))
            let client = ProxyTests.client(proxy) {
                $0.proxyAuthenticator = BasicAuthenticator(username: "u", password: "p")
            }
            let first = try await client.send(HTTPRequest(url: origin.url("/a")))
            #expect(first.status.code == 200)
            #expect(first.priorResponse?.status.code == 407)
            _ = try await first.body.string()
            let second = try await client.send(HTTPRequest(url: origin.url("/b")))
            #expect(second.priorResponse == nil)
            _ = try await second.body.string()
            #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == nil)
            #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == ProxyTests.credentials)
            #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == ProxyTests.credentials)
            for _ in 0..<2 { #expect(try await origin.takeRequest().headers["Proxy-Authorization"] == nil) }
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test("Connections are pooled per proxy: one through each proxy, another for direct")
    func pooledPerProxy() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            let (a, b) = (try await TestProxy(), try await TestProxy())
            let direct = ProxyTests.client(nil)
            let throughA = direct.with { $0.proxy = .http(host: a.host, port: a.port) }
            let throughB = direct.with { $0.proxy = .http(host: b.host, port: b.port) }
            for client in [throughA, throughB, direct, throughA, throughB, direct] {
                _ = try await client.send(HTTPRequest(url: origin.url("/"))).body.string()
            }
            #expect(a.connectionCount == 1)
            #expect(b.connectionCount == 1)
            #expect(a.requestCount == 2)
            #expect(b.requestCount == 2)
            #expect(await direct.openConnectionCount == 3)
            await direct.shutdown()
            await a.shutdown()
            await b.shutdown()
            await origin.shutdown()
        }
    }

    @Test(
        "https:// goes through CONNECT, TLS verified against the origin inside; ALPN to the origin picks HTTP/2",
        arguments: [[HTTPVersion.http1_1], [.http2, .http1_1]])
    func tunnel(protocols: [HTTPVersion]) async throws {
        try await withTimeout {
            let (origin, proxy) = (try await ProxyTests.tlsServer(), try await TestProxy())
            let client = ProxyTests.client(proxy, protocols: protocols)
            var request = HTTPRequest(url: origin.url("/secret"))
            request.headers["Authorization"] = "Bearer origin-token"
            request.headers["Cookie"] = "session=1"
            let response = try await client.send(request)
            #expect(response.version == protocols[0])
            #expect(try await response.body.string() == "origin /secret \(protocols[0])")
            #expect(response.tlsHandshake?.peerCertificates.isEmpty == false)
            let connect = try await proxy.takeRequest()
            #expect(connect.method == .connect)
            #expect(connect.target == "127.0.0.1:\(origin.port)")
            #expect(connect.headers["Host"] == "127.0.0.1:\(origin.port)")
            for name in ["Authorization", "Cookie", "Proxy-Authorization"] { #expect(!connect.headers.contains(name)) }
            #expect(try await origin.takeRequest().headers["Authorization"] == "Bearer origin-token")
            await client.shutdown()
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test(
        "A proxy's 407 to CONNECT is answered and CONNECT sent again, on the same connection or, when the proxy closed it, a new one",
        arguments: [false, true])
    func tunnelAuthentication(closeAfterChallenge: Bool) async throws {
        try await withTimeout {
            let origin = try await ProxyTests.tlsServer()
            let proxy = try await TestProxy(
                options: .init(requiredAuthorization: ProxyTests.credentials, closeAfterChallenge: closeAfterChallenge))
            let client = ProxyTests.client(proxy) {
                $0.proxyAuthenticator = BasicAuthenticator(username: "u", password: "p")
            }
            var request = HTTPRequest(url: origin.url("/"))
            request.headers["Proxy-Authorization"] = "Basic bm90OnRoaXM="
            let response = try await client.send(request)
            #expect(try await response.body.string() == "origin / HTTP/1.1")
            #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == nil)
            #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == ProxyTests.credentials)
            #expect(proxy.connectionCount == (closeAfterChallenge ? 2 : 1))
            // The request's own Proxy-Authorization is the proxy's business, never the origin's.
            #expect(try await origin.takeRequest().headers["Proxy-Authorization"] == nil)
            // The next tunnel offers the accepted credentials at once.
            await client.shutdown()
            _ = try await client.send(HTTPRequest(url: origin.url("/again"))).body.string()
            #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == ProxyTests.credentials)
            await client.shutdown()
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test(
        "407 to CONNECT without a proxyAuthenticator is proxy(.authenticationRequired) carrying the 407; nothing leaks")
    func tunnelAuthenticationRequired() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.tlsServer()
            let proxy = try await TestProxy(options: .init(requiredAuthorization: ProxyTests.credentials))
            let client = ProxyTests.client(proxy)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: origin.url("/")))
            }
            #expect(error?.kind == .proxy(.authenticationRequired))
            #expect(error?.response?.status.code == 407)
            #expect(error?.response?.headers["Proxy-Authenticate"] == "Basic realm=\"TestProxy\"")
            #expect(await client.openConnectionCount == 0)
            #expect(origin.connectionCount == 0)
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test(
        "Credentials given with an HTTP proxy go as Basic Proxy-Authorization on the first request and CONNECT, never to the origin"
    )
    func credentialsGivenWithProxy() async throws {
        try await withTimeout {
            let (plain, secure) = (try await ProxyTests.plainServer(), try await ProxyTests.tlsServer())
            let proxy = try await TestProxy(options: .init(requiredAuthorization: ProxyTests.credentials))
            let client = ProxyTests.client(nil) {
                $0.proxy = .http(host: proxy.host, port: proxy.port, username: "u", password: "p")
            }
            let forwarded = try await client.send(HTTPRequest(url: plain.url("/a")))
            #expect(forwarded.priorResponse == nil)
            #expect(try await forwarded.body.string() == "origin /a")
            #expect(try await client.send(HTTPRequest(url: secure.url("/b"))).body.string() == "origin /b HTTP/1.1")
            for _ in 0..<2 {
                #expect(try await proxy.takeRequest().headers["Proxy-Authorization"] == ProxyTests.credentials)
            }
            #expect(proxy.requestCount == 2, "no request was challenged")
            #expect(try await plain.takeRequest().headers["Proxy-Authorization"] == nil)
            #expect(try await secure.takeRequest().headers["Proxy-Authorization"] == nil)
            await client.shutdown()
            await proxy.shutdown()
            await plain.shutdown()
            await secure.shutdown()
        }
    }

    @Test(
        "Wrong credentials given with an HTTP proxy: a forwarded call gets the 407, a tunnel proxy(.authenticationRequired)"
    )
    func wrongCredentialsGivenWithProxy() async throws {
        try await withTimeout {
            let (plain, secure) = (try await ProxyTests.plainServer(), try await ProxyTests.tlsServer())
            let proxy = try await TestProxy(options: .init(requiredAuthorization: ProxyTests.credentials))
            let client = ProxyTests.client(nil) {
                $0.proxy = .http(host: proxy.host, port: proxy.port, username: "u", password: "wrong")
            }
            #expect(try await client.send(HTTPRequest(url: plain.url("/a"))).status.code == 407)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: secure.url("/b")))
            }
            #expect(error?.kind == .proxy(.authenticationRequired))
            #expect(error?.message.hasSuffix("rejected the credentials offered (407).") == true)
            #expect(plain.requestCount == 0 && secure.connectionCount == 0)
            await client.shutdown()
            await proxy.shutdown()
            await plain.shutdown()
            await secure.shutdown()
        }
    }

    @Test("A 403 to CONNECT is proxy(.tunnelRefused(status: 403)) carrying the proxy's answer and its body")
    func tunnelRefused() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.tlsServer()
            let proxy = try await TestProxy(options: .init(connectStatus: HTTPStatus(code: 403)))
            let client = ProxyTests.client(proxy)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: origin.url("/")))
            }
            #expect(error?.kind == .proxy(.tunnelRefused(status: 403)))
            #expect(try await error?.response?.body.string() == "Forbidden")
            #expect(error?.message.contains("403") == true)
            #expect(await client.openConnectionCount == 0)
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test("A proxy nobody listens on is connectionRefused, naming the proxy")
    func nothingListening() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            let gone = try await TestProxy()
            await gone.shutdown()
            let client = ProxyTests.client(gone)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: origin.url("/")))
            }
            #expect(error?.kind == .connectionRefused)
            #expect(error?.message.contains("proxy 127.0.0.1 port \(gone.port)") == true)
            #expect(origin.connectionCount == 0)
            await origin.shutdown()
        }
    }

    @Test("A proxy that cuts the tunnel mid-body fails the call; the connection is closed, not pooled")
    func closedMidTunnel() async throws {
        try await withTimeout {
            let identity = try HeldCertificate.leaf(issuedBy: ProxyTests.authority).identity
            let origin = try await TestServer(tls: .init(identity: identity)) { _ in
                MockResponse(body: String(repeating: "x", count: 1 << 20))
            }
            let proxy = try await TestProxy(options: .init(closeTunnelAfterBytes: 64 << 10))
            let client = ProxyTests.client(proxy)
            let error = await #expect(throws: HTTPClientError.self) {
                _ = try await client.send(HTTPRequest(url: origin.url("/"))).body.collect(upTo: 2 << 20)
            }
            #expect(error?.kind == .protocolViolation(.truncatedBody))
            #expect(await client.openConnectionCount == 0)
            await proxy.shutdown()
            await origin.shutdown()
        }
    }

    @Test("Credentials answering one proxy's 407 never go to the next proxy the selector falls back to")
    func credentialsStayWithTheirProxy() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            // Proxy A challenges once, closing the connection; after that its name leads nowhere.
            let challenging = try await TestServer { _ in
                MockResponse(
                    status: HTTPStatus(code: 407),
                    headers: ["Proxy-Authenticate": "Basic realm=\"a\"", "Connection": "close"])
            }
            let dead = try RefusingPort()
            let resolved = Mutex(0)
            let (aPort, deadPort) = (challenging.port, dead.port)
            let fallback = try await TestProxy()
            let client = ProxyTests.client(nil) {
                $0.proxySelector = FixedSelector(proxies: [
                    .http(host: "proxy-a.test", port: aPort), .http(host: fallback.host, port: fallback.port),
                ])
                $0.proxyAuthenticator = BasicAuthenticator(username: "u", password: "p")
                $0.dnsResolver = ScriptedResolver { host, port in
                    guard host == "proxy-a.test" else { return [ResolvedAddress(ip: host, port: port)] }
                    let first = resolved.withLock { count in
                        count += 1
                        return count == 1
                    }
                    return [ResolvedAddress(ip: "127.0.0.1", port: first ? aPort : deadPort)]
                }
            }
            let response = try await client.send(HTTPRequest(url: origin.url("/x")))
            #expect(try await response.body.string() == "origin /x")
            #expect(response.priorResponse?.status.code == 407)
            #expect(try await challenging.takeRequest().headers["Proxy-Authorization"] == nil)
            #expect(try await fallback.takeRequest().headers["Proxy-Authorization"] == nil, "A's credentials went to B")
            await client.shutdown()
            await fallback.shutdown()
            await challenging.shutdown()
            await origin.shutdown()
            dead.close()
        }
    }

    @Test("A selector's proxies are tried in order: a dead one fails over to the next, and goes last on the next call")
    func selectorFailover() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            let dead = try RefusingPort()
            let live = try await TestProxy()
            let deadProxy = Proxy.http(host: "127.0.0.1", port: dead.port)
            let liveProxy = Proxy.http(host: live.host, port: live.port)
            let events = ProxyEventRecorder()
            let client = ProxyTests.client(nil) {
                $0.proxySelector = FixedSelector(proxies: [deadProxy, liveProxy])
                $0.eventListener = events
            }
            _ = try await client.send(HTTPRequest(url: origin.url("/1"))).body.string()
            #expect(
                events.events == [
                    "proxySelectStart", "proxySelectEnd(\(deadProxy), \(liveProxy))",
                    "connectStart(\(deadProxy))", "connectFailed(\(deadProxy))",
                    "connectStart(\(liveProxy))", "connectEnd(\(liveProxy))", "connectionAcquired",
                ])
            await client.shutdown()
            let next = ProxyEventRecorder()
            _ = try await client.with { $0.eventListener = next }.send(HTTPRequest(url: origin.url("/2"))).body.string()
            #expect(
                next.events == [
                    "proxySelectStart", "proxySelectEnd(\(liveProxy), \(deadProxy))",
                    "connectStart(\(liveProxy))", "connectEnd(\(liveProxy))", "connectionAcquired",
                ])
            #expect(live.requestCount == 2)
            await client.shutdown()
            await live.shutdown()
            await origin.shutdown()
            dead.close()
        }
    }

    @Test("An origin's bad certificate, seen through a proxy, does not send later calls around the proxy")
    func originFailureKeepsProxyFirst() async throws {
        try await withTimeout {
            let stranger = try HeldCertificate.leaf(issuedBy: try HeldCertificate.authority())
            let untrusted = try await TestServer(tls: .init(identity: stranger.identity)) { _ in MockResponse() }
            let origin = try await ProxyTests.plainServer()
            let live = try await TestProxy()
            let liveProxy = Proxy.http(host: live.host, port: live.port)
            let events = ProxyEventRecorder()
            let client = ProxyTests.client(nil) {
                $0.proxySelector = FixedSelector(proxies: [liveProxy, .direct])
                $0.eventListener = events
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: untrusted.url("/")))
            }
            #expect(error?.kind == .tls(.untrustedCertificate))
            let next = ProxyEventRecorder()
            _ = try await client.with { $0.eventListener = next }.send(HTTPRequest(url: origin.url("/"))).body.string()
            #expect(next.events.first { $0.hasPrefix("proxySelectEnd") } == "proxySelectEnd(\(liveProxy), DIRECT)")
            #expect(live.requestCount == 2)
            await client.shutdown()
            await live.shutdown()
            await origin.shutdown()
            await untrusted.shutdown()
        }
    }

    @Test(
        "wss:// and ws:// go through a CONNECT tunnel (a forwarding proxy would not pass the upgrade on)",
        arguments: [true, false])
    func webSocketThroughTunnel(secure: Bool) async throws {
        try await withTimeout(.seconds(20)) {
            let leaf = try HeldCertificate.leaf(issuedBy: TLSTests.authority)
            let server = try await ScriptedWebSocket.server(tls: secure ? TestServer.TLS(identity: leaf.identity) : nil)
            {
                ScriptedWebSocket.text("tunnelled") + ScriptedWebSocket.close(1000)
            }
            let proxy = try await TestProxy()
            let client = ProxyTests.client(proxy) { $0.tls.trustRoots = [TLSTests.authority.certificate] }
            let url = URL(string: "\(secure ? "wss" : "ws")://127.0.0.1:\(server.port)/chat")!
            let socket = try await client.webSocket(HTTPRequest(url: url))
            var messages: [WebSocketMessage] = []
            for try await message in socket.messages { messages.append(message) }
            #expect(messages == [.text("tunnelled")])
            let connect = try await proxy.takeRequest()
            #expect(connect.method == .connect)
            #expect(connect.target == "127.0.0.1:\(server.port)")
            #expect(try await server.takeRequest().path == "/chat")
            await proxy.shutdown()
            await server.shutdown()
        }
    }

    @Test("A selector that answers direct connects directly; one that answers nothing does too")
    func selectorDirect() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            for proxies in [[Proxy.direct], []] {
                let client = ProxyTests.client(nil) { $0.proxySelector = FixedSelector(proxies: proxies) }
                #expect(try await client.send(HTTPRequest(url: origin.url("/d"))).body.string() == "origin /d")
            }
            await origin.shutdown()
        }
    }
}

/// Answers the same proxies for every URL.
struct FixedSelector: ProxySelector {
    let proxies: [Proxy]

    func proxies(for url: URL) -> [Proxy] { proxies }
}

/// Counts the challenges it is asked to answer, and answers none.
private struct CountingAuthenticator: Authenticator {
    let tally: Tally

    func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest? {
        tally.record("asked")
        return nil
    }
}
