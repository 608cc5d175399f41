import Courier
import CourierTestServer
import Testing

/// A pooled connection that the server drops when the next request arrives: the client cannot
/// know in advance, so the exchange fails with `.connectionClosed` on a reused connection.
@Suite("Retrying on dead pooled connections")
struct RetryTests {
    private func serverThatDropsSecondRequest() async throws -> TestServer {
        let server = try await TestServer()
        server.enqueue(MockResponse(body: "first"))
        server.enqueue(MockResponse().policy(.disconnectAfterRequest))
        server.enqueue(MockResponse(body: "retried"))
        return server
    }

    @Test("An idempotent request is replayed on a fresh connection")
    func idempotentReplayed() async throws {
        try await withTimeout {
            let server = try await serverThatDropsSecondRequest()
            let client = HTTPClient()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "first")
            #expect(
                try await client.send(HTTPRequest(method: .put, url: server.url("/"), body: .string("x"))).body.string()
                    == "retried")
            #expect(server.requestCount == 3)
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("A POST whose body was sent is never replayed")
    func postNotReplayed() async throws {
        try await withTimeout {
            let server = try await serverThatDropsSecondRequest()
            let client = HTTPClient()
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: .string("charge card")))
            }
            #expect(error?.kind == .connectionClosed)
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }

    @Test("retryOnConnectionFailure = false turns replaying off")
    func disabled() async throws {
        try await withTimeout {
            let server = try await serverThatDropsSecondRequest()
            let client = HTTPClient().with { $0.retryOnConnectionFailure = false }
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .connectionClosed)
            await server.shutdown()
        }
    }

    @Test("A failure on a fresh connection is not retried: it says something about the server")
    func freshConnectionNotRetried() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse().policy(.disconnectAfterRequest))
            server.enqueue(MockResponse(body: "unused"))
            let error = await #expect(throws: HTTPClientError.self) {
                try await HTTPClient().send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .connectionClosed)
            #expect(server.requestCount == 1)
            await server.shutdown()
        }
    }
}
