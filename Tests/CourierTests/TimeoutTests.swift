import Courier
import CourierTestServer
import Glibc
import Testing

@Suite("Timeouts and Expect: 100-continue")
struct TimeoutTests {
    @Test("callTimeout bounds the whole call and reports .timeout(.call)")
    func callTimeout() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse().policy(.noResponse))
            let client = HTTPClient().with { $0.callTimeout = .milliseconds(200) }
            let start = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .timeout(.call))
            #expect(ContinuousClock.now - start < .seconds(2))
            #expect(await client.openConnectionCount == 0)
            #expect(await client.dispatcher.runningCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test("callTimeout covers time spent queued in the dispatcher")
    func callTimeoutWhileQueued() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "held") }
            var configuration = HTTPClient.Configuration()
            configuration.maxRequestsPerHost = 1
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
            let client = HTTPClient().with { $0.eventListener = events }
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

    @Test("A server that ignores Expect gets the body after expectContinueTimeout")
    func expectContinueIgnored() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(body: "late but fine").expectContinue(.ignore))
            let client = HTTPClient().with { $0.expectContinueTimeout = .milliseconds(100) }
            var request = HTTPRequest(method: .post, url: server.url("/"), body: .string("data"))
            request.headers["Expect"] = "100-continue"
            let start = ContinuousClock.now
            #expect(try await client.send(request).body.string() == "late but fine")
            #expect(ContinuousClock.now - start >= .milliseconds(100))
            #expect(try await server.takeRequest().bodyString == "data")
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
