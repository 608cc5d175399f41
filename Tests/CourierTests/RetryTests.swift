import Courier
import CourierTestServer
import Testing

/// A pooled connection that the server drops when the next request arrives: the client cannot
/// know in advance, so the exchange fails with `.connectionClosed` on a reused connection.
/// The drop is a socket policy of the HTTP/1.1 server, so those tests run over HTTP/1.1 and HTTPS;
/// HTTP/2 says which requests it did not process (GOAWAY, REFUSED_STREAM), tested below.
@Suite("Retrying on dead pooled connections")
struct RetryTests {
    private func serverThatDropsSecondRequest(_ transport: Transport) async throws -> TestServer {
        let server = try await transport.server()
        server.enqueue(MockResponse(body: "first"))
        server.enqueue(MockResponse().policy(.disconnectAfterRequest))
        server.enqueue(MockResponse(body: "retried"))
        return server
    }

    @Test("An idempotent request is replayed on a fresh connection", arguments: [Transport.http1, .https])
    func idempotentReplayed(transport: Transport) async throws {
        try await withTimeout {
            let server = try await serverThatDropsSecondRequest(transport)
            let client = transport.client()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "first")
            #expect(
                try await client.send(HTTPRequest(method: .put, url: server.url("/"), body: .string("x"))).body.string()
                    == "retried")
            #expect(server.requestCount == 3)
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("A POST whose body was sent is never replayed", arguments: [Transport.http1, .https])
    func postNotReplayed(transport: Transport) async throws {
        try await withTimeout {
            let server = try await serverThatDropsSecondRequest(transport)
            let client = transport.client()
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: .string("charge card")))
            }
            #expect(error?.kind == .connectionClosed)
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }

    @Test("retryOnConnectionFailure = false turns replaying off", arguments: [Transport.http1, .https])
    func disabled(transport: Transport) async throws {
        try await withTimeout {
            let server = try await serverThatDropsSecondRequest(transport)
            let client = transport.client().with { $0.retryOnConnectionFailure = false }
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .connectionClosed)
            await server.shutdown()
        }
    }

    @Test(
        "A failure on a fresh connection is not retried: it says something about the server",
        arguments: [Transport.http1, .https])
    func freshConnectionNotRetried(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse().policy(.disconnectAfterRequest))
            server.enqueue(MockResponse(body: "unused"))
            let error = await #expect(throws: HTTPClientError.self) {
                try await transport.client().send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .connectionClosed)
            #expect(server.requestCount == 1)
            await server.shutdown()
        }
    }

    @Test(
        "GOAWAY mid-load: streams above the last stream id are retried on a new connection, whatever the method",
        arguments: [Transport.http2, .h2c])
    func goAwayMidLoad(transport: Transport) async throws {
        try await withTimeout(.seconds(60)) {
            var http2 = HTTP2Options()
            http2.goAwayAfterStreams = 10
            let server = try await transport.server(http2: http2) { request in
                MockResponse(body: "\(request.method) \(request.path) \(request.bodyString)")
                    .throttled(bytes: 64, per: .milliseconds(2))
            }
            let client = transport.client()
            let outcomes = try await withThrowingTaskGroup(of: Result<String, HTTPClientError>.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        // Half POSTs: a request the server never processed is safe to send again.
                        let request =
                            index.isMultiple(of: 2)
                            ? HTTPRequest(method: .post, url: server.url("/\(index)"), body: .string("n=\(index)"))
                            : HTTPRequest(url: server.url("/\(index)"))
                        do {
                            let body = try await client.send(request).body.string()
                            let expected =
                                index.isMultiple(of: 2) ? "POST /\(index) n=\(index)" : "GET /\(index) "
                            #expect(body == expected)
                            return .success(body)
                        } catch let error as HTTPClientError {
                            return .failure(error)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // Every request was either answered (by the server that last-stream-id covered) or
            // refused and retried: none is lost, none fails.
            let failures = outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
            #expect(failures.isEmpty, "\(failures)")
            #expect(server.connectionCount >= 64 / 10)
            #expect(await client.dispatcher.runningCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test("RST_STREAM(REFUSED_STREAM) is retried, even for a POST", arguments: [Transport.http2, .h2c])
    func refusedStreamRetried(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse().http2(.resetAtStart(.refusedStream)))
            server.enqueue(MockResponse(body: "second try"))
            let client = transport.client()
            let response = try await client.send(
                HTTPRequest(method: .post, url: server.url("/"), body: .string("charge card")))
            #expect(try await response.body.string() == "second try")
            #expect(server.requestCount == 2)
            _ = try await server.takeRequest()
            #expect(try await server.takeRequest().bodyString == "charge card")
            await server.shutdown()
        }
    }

    @Test(
        "RST_STREAM(INTERNAL_ERROR) before the response fails the call precisely and keeps the connection",
        arguments: [Transport.http2, .h2c])
    func resetAtStartKeepsConnection(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse().http2(.resetAtStart(.internalError)))
            server.enqueue(MockResponse(body: "next"))
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: .string("x")))
            }
            #expect(error?.kind == .connectionClosed)
            #expect(error?.message.contains("reset HTTP/2 stream 1") == true, "\(error?.message ?? "")")
            #expect(server.requestCount == 1, "a stream the server reset after reading it is not retried")
            #expect(await client.openConnectionCount == 1)
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "next")
            #expect(server.connectionCount == 1)
            await server.shutdown()
        }
    }

    /// A reset on a live connection says nothing stale about the connection: the server chose to
    /// end the request, so even a GET on a reused connection is not replayed.
    @Test(
        "A stream the server resets on a reused connection is not replayed, even a GET",
        arguments: [Transport.http2, .h2c])
    func resetOnReusedConnectionIsNotReplayed(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: "warm"))
            server.enqueue(MockResponse().http2(.resetAtStart(.internalError)))
            server.enqueue(MockResponse(body: "replayed"))
            let client = transport.client()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "warm")
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .connectionClosed)
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }
}
