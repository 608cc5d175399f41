import Courier
import CourierTestServer
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
