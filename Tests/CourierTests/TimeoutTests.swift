import Courier
import CourierTestServer
import Glibc
import Testing

@Suite("Timeouts and Expect: 100-continue")
struct TimeoutTests {
    @Test("callTimeout bounds the whole call and reports .timeout(.call)", arguments: Transport.main)
    func callTimeout(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: "warm"))
            server.enqueue(MockResponse().policy(.noResponse).http2(.noResponse))
            // A pooled connection first, so that the deadline passes in the exchange, not the handshake.
            let patient = transport.client { $0.readTimeout = .seconds(30) }
            #expect(try await patient.send(HTTPRequest(url: server.url("/"))).body.string() == "warm")
            let client = patient.with { $0.callTimeout = .milliseconds(200) }
            // The call's deadline, not the 30 s read timeout, ended it: the kind says which fired.
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .timeout(.call))
            // HTTP/1.1 closes the connection mid-exchange; HTTP/2 resets only the stream.
            #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            #expect(await client.dispatcher.runningCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test("callTimeout covers time spent queued in the dispatcher", arguments: Transport.main)
    func callTimeoutWhileQueued(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "held") }
            var configuration = transport.configuration()
            // Calls that may share an HTTP/2 connection are exempt from maxRequestsPerHost.
            if transport.multiplexes { configuration.maxRequests = 1 } else { configuration.maxRequestsPerHost = 1 }
            let client = HTTPClient(configuration: configuration)
            let holder = try await client.send(HTTPRequest(url: server.url("/")))
            let impatient = client.with { $0.callTimeout = .milliseconds(100) }
            let error = await #expect(throws: HTTPClientError.self) {
                try await impatient.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .timeout(.call))
            #expect(await client.dispatcher.queuedCallsCount == 0)
            _ = try await holder.body.string()
            await server.shutdown()
        }
    }

    /// Raw listeners below any protocol: a stalled TCP connect and a peer that never reads.
    @Test("A connect that never completes hits connectTimeout")
    func connectTimeout() async throws {
        try await withTimeout {
            let stalled = try FullBacklogListener()
            let client = HTTPClient().with { $0.connectTimeout = .milliseconds(150) }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: URL(string: "http://127.0.0.1:\(stalled.port)/")!))
            }
            #expect(error?.kind == .timeout(.connect))
            _ = stalled
        }
    }

    @Test("A peer that stops reading makes a large upload hit writeTimeout")
    func writeTimeout() async throws {
        try await withTimeout {
            let stalled = try StalledReader()
            let client = HTTPClient().with { $0.writeTimeout = .milliseconds(200) }
            // 64 MiB is far more than the loopback socket buffers hold, so the write blocks.
            let body = HTTPRequest.Body.bytes([UInt8](repeating: 1, count: 64 << 20))
            let request = HTTPRequest(method: .put, url: URL(string: "http://127.0.0.1:\(stalled.port)/")!, body: body)
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(request) }
            #expect(error?.kind == .timeout(.write))
            #expect(await client.openConnectionCount == 0)
        }
    }

    @Test("A streamed upload to a peer that stops reading hits writeTimeout once the kernel pushes back")
    func streamedWriteTimeout() async throws {
        try await withTimeout {
            let stalled = try StalledReader()
            let client = HTTPClient().with { $0.writeTimeout = .milliseconds(200) }
            let chunks = [[UInt8]](repeating: [UInt8](repeating: 2, count: 1 << 20), count: 64)
            let request = HTTPRequest(
                method: .put,
                url: URL(string: "http://127.0.0.1:\(stalled.port)/")!,
                body: .stream(AsyncChunks(chunks), length: 64 << 20)
            )
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(request) }
            #expect(error?.kind == .timeout(.write))
            #expect(await client.openConnectionCount == 0)
        }
    }

    /// The test server scripts 100-continue on HTTP/1.1 only (its HTTP/2 side answers once the
    /// whole request has arrived), so the Expect tests stay HTTP/1.1.
    @Test("Expect: 100-continue sends the body after the interim response")
    func expectContinue() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(body: "stored"))
            let events = EventRecorder()
            let client = HTTPClient().with { $0.eventListener = events }
            var request = HTTPRequest(method: .put, url: server.url("/"), body: .string("payload"))
            request.headers["Expect"] = "100-continue"
            #expect(try await client.send(request).body.string() == "stored")
            #expect(try await server.takeRequest().bodyString == "payload")
            #expect(events.events.contains("requestBodyEnd(7)"))
            #expect(await client.idleConnectionCount == 1)
            await server.shutdown()
        }
    }

    @Test("A final response before the body means the body is never sent, and the connection is not reused")
    func expectContinueRejected() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(status: HTTPStatus(code: 413), body: "too big").expectContinue(.finalResponse))
            let events = EventRecorder()
            // The server answers at once; under the parallel suite's load that answer can still
            // take longer than the default second, after which the client rightly sends the body.
            let client = HTTPClient().with {
                $0.eventListener = events
                $0.expectContinueTimeout = .seconds(20)
            }
            var request = HTTPRequest(
                method: .put, url: server.url("/"), body: .bytes([UInt8](repeating: 7, count: 1 << 20)))
            request.headers["Expect"] = "100-continue"
            let response = try await client.send(request)
            #expect(response.status.code == 413)
            #expect(try await response.body.string() == "too big")
            #expect(!events.events.contains("requestBodyStart"))
            #expect(await client.openConnectionCount == 0)
            await server.shutdown()
        }
    }

    @Test(
        "A server that ignores Expect gets the body after expectContinueTimeout",
        arguments: Transport.main + [.h2c])
    func expectContinueIgnored(transport: Transport) async throws {
        try await withTimeout {
            // Over HTTP/2 the test server never sends 100 Continue: it always ignores Expect.
            let server = try await transport.server()
            server.enqueue(MockResponse(body: "late but fine").expectContinue(.ignore))
            let client = transport.client().with { $0.expectContinueTimeout = .milliseconds(100) }
            var request = HTTPRequest(method: .post, url: server.url("/"), body: .string("data"))
            request.headers["Expect"] = "100-continue"
            let start = ContinuousClock.now
            #expect(try await client.send(request).body.string() == "late but fine")
            #expect(ContinuousClock.now - start >= .milliseconds(100))
            #expect(try await server.takeRequest().bodyString == "data")
            await server.shutdown()
        }
    }

    @Test(
        "An HTTP/2 upload the server gives no flow-control credit hits writeTimeout",
        arguments: [Transport.http2, .h2c])
    func flowControlWriteTimeout(transport: Transport) async throws {
        try await withTimeout {
            var http2 = HTTP2Options()
            http2.sendsWindowUpdates = false
            let server = try await transport.server(http2: http2) { _ in MockResponse(body: "stored") }
            let client = transport.client { $0.writeTimeout = .milliseconds(200) }
            // A pooled connection first, so that the time measured is the stalled upload's alone.
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "stored")
            // Far more than the 65,535-byte windows the server opens with.
            let body = HTTPRequest.Body.bytes([UInt8](repeating: 1, count: 1 << 20))
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(method: .put, url: server.url("/"), body: body))
            }
            #expect(error?.kind == .timeout(.write))
            await server.shutdown()
        }
    }
}

/// A loopback listener that completes handshakes (the kernel does) but never accepts or reads,
/// so a client's writes fill the socket buffers and then block.
final class StalledReader: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        let listener = try LoopbackListener(backlog: 16)
        fd = listener.fd
        port = listener.port
    }

    deinit {
        close(fd)
    }
}
