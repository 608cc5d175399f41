import Courier
import CourierTestServer
import Testing

@Suite("EventListener sequences")
struct EventListenerTests {
    static let exchange = [
        "requestHeadersStart", "requestHeadersEnd", "responseHeadersStart", "responseHeadersEnd(200)",
        "responseBodyStart", "responseBodyEnd(5)", "connectionReleased", "callEnd",
    ]

    @Test("A fresh connection, then a pooled one, in OkHttp's order")
    func freshThenPooled() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "hello") }
            let port = server.port
            let events = EventRecorder()
            var configuration = HTTPClient.Configuration()
            configuration.eventListener = events
            configuration.dnsResolver = ScriptedResolver { _, _ in [ResolvedAddress(ip: "127.0.0.1", port: port)] }
            let client = HTTPClient(configuration: configuration)
            let url = URL(string: "http://events.test:\(port)/")!
            _ = try await client.send(HTTPRequest(url: url)).body.string()
            #expect(
                events.events
                    == ["callStart", "dnsStart", "dnsEnd", "connectStart", "connectEnd", "connectionAcquired"]
                    + EventListenerTests.exchange
            )
            let fresh = events.events.count
            _ = try await client.send(HTTPRequest(url: url)).body.string()
            #expect(
                Array(events.events[fresh...]) == ["callStart", "connectionAcquired"] + EventListenerTests.exchange)
            await server.shutdown()
        }
    }

    @Test("A request body is reported between the request headers and the response")
    func requestBody() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "hello") }
            let events = EventRecorder()
            let client = HTTPClient().with { $0.eventListener = events }
            _ = try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: .string("12345678"))).body
                .string()
            #expect(
                events.events == [
                    "callStart", "connectStart", "connectEnd", "connectionAcquired", "requestHeadersStart",
                    "requestHeadersEnd",
                    "requestBodyStart", "requestBodyEnd(8)", "responseHeadersStart", "responseHeadersEnd(200)",
                    "responseBodyStart", "responseBodyEnd(5)", "connectionReleased", "callEnd",
                ]
            )
            await server.shutdown()
        }
    }

    @Test("A refused connection ends in connectFailed and callFailed")
    func failure() async throws {
        try await withTimeout {
            let server = try await TestServer()
            let url = server.url("/")
            await server.shutdown()
            let events = EventRecorder()
            let client = HTTPClient().with { $0.eventListener = events }
            await #expect(throws: HTTPClientError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(events.events == ["callStart", "connectStart", "connectFailed", "callFailed"])
        }
    }

    @Test("A cancelled call reports canceled, then callFailed")
    func cancelled() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse().policy(.noResponse))
            let events = EventRecorder()
            let client = HTTPClient().with { $0.eventListener = events }
            let call = Task { try await client.send(HTTPRequest(url: server.url("/"))) }
            _ = try await server.takeRequest()
            call.cancel()
            await #expect(throws: CancellationError.self) { try await call.value }
            #expect(events.events.suffix(3) == ["connectionReleased", "canceled", "callFailed"])
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
