import Courier
import CourierTestServer
import CourierTransport
import Synchronization
import Testing

@Suite("EventListener sequences")
struct EventListenerTests {
    static let exchange = [
        "requestHeadersStart", "requestHeadersEnd", "responseHeadersStart", "responseHeadersEnd(200)",
        "responseBodyStart", "responseBodyEnd(5)", "connectionReleased", "callEnd",
    ]

    /// The events of a new connection: TLS (with ALPN for HTTP/2) between connectStart and connectEnd.
    static func connect(_ transport: Transport) -> [String] {
        ["connectStart"] + (transport.isSecure ? ["secureConnectStart", "secureConnectEnd"] : []) + ["connectEnd"]
    }

    @Test("A fresh connection, then a pooled one, in OkHttp's order", arguments: Transport.main)
    func freshThenPooled(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "hello") }
            let port = server.port
            let events = EventRecorder()
            var configuration = transport.configuration()
            configuration.eventListener = events
            configuration.dnsResolver = ScriptedResolver { _, _ in [ResolvedAddress(ip: "127.0.0.1", port: port)] }
            let client = HTTPClient(configuration: configuration)
            // A name the test certificate covers, resolved by the script.
            let url = URL(string: "\(transport.isSecure ? "https" : "http")://localhost:\(port)/")!
            _ = try await client.send(HTTPRequest(url: url)).body.string()
            #expect(
                events.events
                    == ["callStart", "dnsStart", "dnsEnd"] + EventListenerTests.connect(transport) + [
                        "connectionAcquired"
                    ]
                    + EventListenerTests.exchange
            )
            let fresh = events.events.count
            _ = try await client.send(HTTPRequest(url: url)).body.string()
            #expect(
                Array(events.events[fresh...]) == ["callStart", "connectionAcquired"] + EventListenerTests.exchange)
            await server.shutdown()
        }
    }

    @Test("A request body is reported between the request headers and the response", arguments: Transport.main)
    func requestBody(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "hello") }
            let events = EventRecorder()
            let client = transport.client().with { $0.eventListener = events }
            _ = try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: .string("12345678"))).body
                .string()
            #expect(
                events.events == ["callStart"] + EventListenerTests.connect(transport) + [
                    "connectionAcquired", "requestHeadersStart", "requestHeadersEnd",
                    "requestBodyStart", "requestBodyEnd(8)", "responseHeadersStart", "responseHeadersEnd(200)",
                    "responseBodyStart", "responseBodyEnd(5)", "connectionReleased", "callEnd",
                ]
            )
            await server.shutdown()
        }
    }

    @Test("A refused connection ends in connectFailed and callFailed", arguments: Transport.main)
    func failure(transport: Transport) async throws {
        try await withTimeout {
            let refusing = try RefusingPort()
            let url = refusing.url(scheme: transport.isSecure ? "https" : "http")
            let events = EventRecorder()
            let client = transport.client().with { $0.eventListener = events }
            await #expect(throws: HTTPClientError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(events.events == ["callStart", "connectStart", "connectFailed", "callFailed"])
            refusing.close()
        }
    }

    @Test("A cancelled call reports canceled, then callFailed", arguments: Transport.main)
    func cancelled(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse().policy(.noResponse).http2(.noResponse))
            let events = EventRecorder()
            let client = transport.client().with { $0.eventListener = events }
            let call = Task { try await client.send(HTTPRequest(url: server.url("/"))) }
            _ = try await server.takeRequest()
            call.cancel()
            await #expect(throws: CancellationError.self) { try await call.value }
            #expect(events.events.suffix(3) == ["connectionReleased", "canceled", "callFailed"])
            await server.shutdown()
        }
    }

    @Test("callTimeout cancels the call: canceled, then callFailed", arguments: Transport.main)
    func callTimeout(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse().policy(.noResponse).http2(.noResponse))
            let events = EventRecorder()
            let client = transport.client().with {
                $0.eventListener = events
                $0.callTimeout = .milliseconds(200)
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .timeout(.call))
            #expect(events.events.suffix(2) == ["canceled", "callFailed"])
            await server.shutdown()
        }
    }

    @Test("An authenticator that throws: the connection is released before callFailed", arguments: Transport.main)
    func authenticatorThrows(transport: Transport) async throws {
        struct Refusing: Authenticator {
            struct Refused: Error {}
            func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest? { throw Refused() }
        }
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(
                MockResponse(status: HTTPStatus(code: 401), headers: ["WWW-Authenticate": "Basic"], body: "denied"))
            let events = EventRecorder()
            let client = transport.client().with {
                $0.eventListener = events
                $0.authenticator = Refusing()
            }
            await #expect(throws: Refusing.Refused.self) { try await client.send(HTTPRequest(url: server.url("/"))) }
            #expect(events.events.suffix(2) == ["connectionReleased", "callFailed"])
            await server.shutdown()
        }
    }

    @Test("Expect: 100-continue reports responseHeadersStart once")
    func expectContinue() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(body: "ok").expectContinue(.sendContinue))
            let events = EventRecorder()
            let client = HTTPClient().with { $0.eventListener = events }
            var request = HTTPRequest(method: .post, url: server.url("/"), body: .string("payload"))
            request.headers["Expect"] = "100-continue"
            _ = try await client.send(request).body.string()
            #expect(events.events.filter { $0 == "responseHeadersStart" }.count == 1)
            await server.shutdown()
        }
    }

    @Test("Nothing follows callEnd: a connect the call started and no longer needs reports to no one")
    func nothingAfterCallEnd() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "ok") }
            let port = server.port
            let (gate, open) = AsyncStream.makeStream(of: Void.self)
            let lookups = Mutex(0)
            var configuration = HTTPClient.Configuration()
            configuration.maxRequestsPerHost = 2
            configuration.dnsResolver = ScriptedResolver { _, _ in
                // The second lookup (the call that waits) is held until the test lets it go.
                if lookups.withLock({ count in
                    count += 1; return count
                }) == 2 {
                    for await _ in gate { break }
                }
                return [ResolvedAddress(ip: "127.0.0.1", port: port)]
            }
            let base = HTTPClient(configuration: configuration)
            let url = URL(string: "http://held.test:\(port)/")!
            let first = try await base.send(HTTPRequest(url: url))
            let events = EventRecorder()
            let waiting = Task { try await base.with { $0.eventListener = events }.send(HTTPRequest(url: url)) }
            while !events.events.contains("dnsStart") { await Task.yield() }
            // The first call's connection goes to the waiting call, whose own connect is held.
            #expect(try await first.body.string() == "ok")
            #expect(try await waiting.value.body.string() == "ok")
            #expect(events.events.last == "callEnd")
            open.yield()
            while await base.openConnectionCount < 2 { await Task.yield() }
            #expect(events.events.last == "callEnd", "\(events.events)")
            await server.shutdown()
        }
    }
}

@Suite("EventListener sequences over TLS")
struct TLSEventListenerTests {
    @Test("secureConnectStart and secureConnectEnd come between connectStart and connectEnd")
    func https() async throws {
        try await withTimeout {
            let server = try await TLSTests.server()
            let events = EventRecorder()
            let client = TLSTests.client().with { $0.eventListener = events }
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            #expect(
                Array(events.events.prefix(6)) == [
                    "callStart", "connectStart", "secureConnectStart", "secureConnectEnd", "connectEnd",
                    "connectionAcquired",
                ]
            )
            await server.shutdown()
        }
    }
}
