import Courier
import CourierTestServer
import Testing

@Suite("Fast fallback and the route database")
struct FastFallbackTests {
    @Test("A stalled first address loses to the second within ~300 ms (RFC 8305)")
    func stalledFirstAddress() async throws {
        try await withTimeout {
            let stalled = try FullBacklogListener()
            let server = try await TestServer { _ in MockResponse(body: "fallback") }
            let (stalledPort, port) = (stalled.port, server.port)
            var configuration = HTTPClient.Configuration()
            configuration.connectTimeout = .seconds(30)
            configuration.dnsResolver = ScriptedResolver { _, _ in
                [ResolvedAddress(ip: "127.0.0.1", port: stalledPort), ResolvedAddress(ip: "127.0.0.1", port: port)]
            }
            let events = EventRecorder()
            configuration.eventListener = events
            let client = HTTPClient(configuration: configuration)
            let start = ContinuousClock.now
            let response = try await client.send(HTTPRequest(url: URL(string: "http://dual.test:\(port)/")!))
            let elapsed = ContinuousClock.now - start
            #expect(try await response.body.string() == "fallback")
            #expect(elapsed >= .milliseconds(250))
            // Well under the 30 s connect timeout the stalled attempt would otherwise wait for: about
            // 0.25 s alone. The parallel suite runs some 700 tests in about 16 s on two cores, and
            // there it once took 5.02 s; half the connect timeout still tells the two apart.
            #expect(elapsed < .seconds(15), "took \(elapsed)")
            #expect(events.events.filter { $0 == "connectStart" }.count == 2)
            #expect(await client.openConnectionCount == 1)
            await server.shutdown()
        }
    }

    @Test("A refused address fails over at once, and is tried last on the next connection")
    func refusedAddressRemembered() async throws {
        try await withTimeout {
            let dead = try RefusingPort()
            let deadPort = dead.port
            let server = try await TestServer { _ in MockResponse(body: "ok").policy(.closeAfterResponse) }
            let port = server.port
            let events = EventRecorder()
            var configuration = HTTPClient.Configuration()
            configuration.eventListener = events
            // Were the refusal not to start the next attempt at once, the call would wait 60 s
            // for this delay and fail withTimeout's 30 s bound.
            configuration.connectionAttemptDelay = .seconds(60)
            configuration.dnsResolver = ScriptedResolver { _, _ in
                [ResolvedAddress(ip: "127.0.0.1", port: deadPort), ResolvedAddress(ip: "127.0.0.1", port: port)]
            }
            let client = HTTPClient(configuration: configuration)
            try await expectFailoverRemembered(client, URL(string: "http://flaky.test:\(port)/")!, events)
            await server.shutdown()
            dead.close()
        }
    }

    @Test("When every address fails, the error names them all")
    func allFail() async throws {
        try await withTimeout {
            let dead = try RefusingPort()
            let deadPort = dead.port
            var configuration = HTTPClient.Configuration()
            configuration.dnsResolver = ScriptedResolver { _, _ in
                [ResolvedAddress(ip: "127.0.0.1", port: deadPort), ResolvedAddress(ip: "::1", port: deadPort)]
            }
            let client = HTTPClient(configuration: configuration)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: URL(string: "http://gone.test:\(deadPort)/")!))
            }
            #expect(error?.kind == .connectionRefused)
            #expect(error?.message.contains("127.0.0.1") == true && error?.message.contains("[::1]") == true)
            dead.close()
        }
    }

    @Test("A TLS handshake that fails on one address is retried on the next; a bad certificate is not")
    func tlsFailureFallsBack() async throws {
        try await withTimeout {
            // Speaks HTTP/1.1 in clear: it answers a ClientHello with an error, not a ServerHello.
            let cleartext = try await TestServer { _ in MockResponse(body: "cleartext") }
            let leaf = try HeldCertificate.leaf(hosts: ["dual.test"], issuedBy: TLSTests.authority)
            let server = try await TestServer(tls: TestServer.TLS(identity: leaf.identity)) { _ in
                MockResponse(body: "secure").policy(.closeAfterResponse)
            }
            let (badPort, port) = (cleartext.port, server.port)
            let events = EventRecorder()
            let client = Transport.https.client {
                $0.eventListener = events
                $0.connectionAttemptDelay = .seconds(60)
                $0.dnsResolver = ScriptedResolver { _, _ in
                    [ResolvedAddress(ip: "127.0.0.1", port: badPort), ResolvedAddress(ip: "127.0.0.1", port: port)]
                }
            }
            try await expectFailoverRemembered(client, URL(string: "https://dual.test:\(port)/")!, events)

            // A certificate the client refuses is the server's answer, whatever its address.
            let wrongName = Transport.https.client {
                $0.dnsResolver = ScriptedResolver { _, _ in
                    [ResolvedAddress(ip: "127.0.0.1", port: port), ResolvedAddress(ip: "127.0.0.1", port: port)]
                }
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await wrongName.send(HTTPRequest(url: URL(string: "https://other.test:\(port)/")!))
            }
            #expect(error?.kind == .tls(.hostnameMismatch))
            // Two calls, then one handshake for the wrong name: not a second on the other address.
            #expect(server.connectionCount == 3)
            await cleartext.shutdown()
            await server.shutdown()
        }
    }

    @Test("When the other addresses are dead, a broken handshake's error is the one thrown")
    func tlsFailureNotHiddenByDeadRoutes() async throws {
        try await withTimeout {
            let dead = try RefusingPort()
            let cleartext = try await TestServer { _ in MockResponse(body: "cleartext") }
            let (deadPort, port) = (dead.port, cleartext.port)
            let events = EventRecorder()
            let client = Transport.https.client {
                $0.eventListener = events
                $0.dnsResolver = ScriptedResolver { _, _ in
                    [ResolvedAddress(ip: "127.0.0.1", port: deadPort), ResolvedAddress(ip: "127.0.0.1", port: port)]
                }
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: URL(string: "https://dual.test:\(port)/")!))
            }
            #expect(error?.kind == .tls(.handshakeFailed), "\(String(describing: error))")
            #expect(events.events.filter { $0 == "connectStart" }.count == 2, "the dead address is not dialled again")
            await cleartext.shutdown()
            dead.close()
        }
    }

    /// Two calls to `url` on new connections: the first fails over from the first address to
    /// the second; the second starts at the second, the failed one having gone last.
    private func expectFailoverRemembered(_ client: HTTPClient, _ url: URL, _ events: EventRecorder) async throws {
        func connectEvents(from start: Int) -> [String] {
            events.events[start...].filter { $0.hasPrefix("connect") && !$0.hasPrefix("connection") }
        }
        _ = try await client.send(HTTPRequest(url: url)).body.string()
        #expect(connectEvents(from: 0) == ["connectStart", "connectFailed", "connectStart", "connectEnd"])
        let first = events.events.count
        _ = try await client.send(HTTPRequest(url: url)).body.string()
        #expect(connectEvents(from: first) == ["connectStart", "connectEnd"])
    }
}
