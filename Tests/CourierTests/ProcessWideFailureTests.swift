import Courier
import CourierTestServer
import Testing

extension ProcessWide {
    /// Failure policies and a bounded stress run, with descriptor counts.
    @Suite("Failure policies and stress")
    struct FailureTests {
        /// Runs `scenario` against a fresh server and client, then checks that nothing stayed open.
        private func leakFree(
            _ scenario: @escaping @Sendable (TestServer, HTTPClient) async throws -> Void
        ) async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout {
                let server = try await TestServer()
                let client = HTTPClient().with { $0.readTimeout = .milliseconds(300) }
                try await scenario(server, client)
                await client.shutdown()
                #expect(await client.openConnectionCount == 0)
                await server.shutdown()
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }

        private static func failure(
            _ client: HTTPClient, _ url: URL, readingBody: Bool = false
        ) async -> HTTPClientError? {
            do {
                let response = try await client.send(HTTPRequest(url: url))
                if readingBody { _ = try await response.body.collect(upTo: 1 << 24) }
                return nil
            } catch {
                return error as? HTTPClientError
            }
        }

        @Test("Disconnect at start: connectionClosed")
        func disconnectAtStart() async throws {
            try await leakFree { server, client in
                server.enqueue(MockResponse().policy(.disconnectAtStart))
                #expect(await Self.failure(client, server.url("/"))?.kind == .connectionClosed)
            }
        }

        @Test("Disconnect after the request: connectionClosed")
        func disconnectAfterRequest() async throws {
            try await leakFree { server, client in
                server.enqueue(MockResponse().policy(.disconnectAfterRequest))
                #expect(await Self.failure(client, server.url("/"))?.kind == .connectionClosed)
            }
        }

        @Test("Disconnect during the body: truncatedBody")
        func disconnectDuringBody() async throws {
            try await leakFree { server, client in
                server.enqueue(
                    MockResponse(body: [UInt8](repeating: 1, count: 50_000)).policy(
                        .disconnectDuringBody(afterBytes: 20_000)))
                #expect(
                    await Self.failure(client, server.url("/"), readingBody: true)?.kind
                        == .protocolViolation(.truncatedBody))
            }
        }

        @Test("No response: timeout(.read)")
        func noResponse() async throws {
            try await leakFree { server, client in
                server.enqueue(MockResponse().policy(.noResponse))
                #expect(await Self.failure(client, server.url("/"))?.kind == .timeout(.read))
            }
        }

        @Test("Stall after the head: timeout(.read) while reading the body")
        func stallAfterHead() async throws {
            try await leakFree { server, client in
                server.enqueue(MockResponse(body: "never comes").policy(.stallAfterHead))
                let error = await Self.failure(client, server.url("/"), readingBody: true)
                #expect(error?.kind == .timeout(.read), "\(String(describing: error))")
            }
        }

        @Test("Half-close after the response: the call succeeds and the dead connection is not reused")
        func halfClose() async throws {
            try await leakFree { server, client in
                // Retries off: only the health check can keep the second call off the half-closed connection.
                let client = client.with { $0.retryOnConnectionFailure = false }
                server.enqueue(MockResponse(body: "one").policy(.shutdownOutputAtEnd))
                server.enqueue(MockResponse(body: "two"))
                let value1 = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
                #expect(value1 == "one")
                let value2 = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
                #expect(value2 == "two")
                #expect(server.connectionCount == 2)
            }
        }

        @Test("A throttled body arrives whole, slowly; slower than readTimeout it times out")
        func throttled() async throws {
            try await leakFree { server, client in
                let body = [UInt8](repeating: 9, count: 4000)
                server.enqueue(MockResponse(body: body).throttled(bytes: 1000, per: .milliseconds(30)))
                server.enqueue(MockResponse(body: body).throttled(bytes: 1000, per: .seconds(2)))
                let start = ContinuousClock.now
                let value3 = try await client.send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 10_000)
                #expect(value3 == body)
                #expect(ContinuousClock.now - start >= .milliseconds(90))
                #expect(await Self.failure(client, server.url("/"), readingBody: true)?.kind == .timeout(.read))
            }
        }

        @Test("Connection: close on one response: the next call opens a new connection")
        func connectionClose() async throws {
            try await leakFree { server, client in
                server.enqueue(MockResponse(body: "bye").policy(.closeAfterResponse))
                server.enqueue(MockResponse(body: "hello again"))
                let value4 = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
                #expect(value4 == "bye")
                let value5 = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
                #expect(value5 == "hello again")
                #expect(server.connectionCount == 2)
            }
        }

        @Test("20,000 requests with 10% cancelled and 1% server disconnects leak nothing")
        func stress() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            let total = 20_000
            let tally = Tally()
            try await withTimeout(.seconds(60)) {
                let server = try await TestServer { request in
                    let roll = Int.random(in: 0..<100)
                    let body = [UInt8](repeating: 0x2A, count: 1024)
                    if roll == 0 { return MockResponse(body: body).policy(.disconnectDuringBody(afterBytes: 100)) }
                    return MockResponse(body: body)
                }
                var configuration = HTTPClient.Configuration()
                configuration.maxRequestsPerHost = 5
                let client = HTTPClient(configuration: configuration)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<16 {
                        group.addTask {
                            while tally.take(below: total) {
                                let call = Task {
                                    try await client.send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 4096)
                                        .count
                                }
                                if Int.random(in: 0..<10) == 0 {
                                    for _ in 0..<Int.random(in: 0..<4) { await Task.yield() }
                                    call.cancel()
                                }
                                let outcome: String
                                switch await call.result {
                                case .success(let count): outcome = count == 1024 ? "ok" : "short body \(count)"
                                case .failure(is CancellationError): outcome = "cancelled"
                                case .failure(let error as HTTPClientError): outcome = "\(error.kind)"
                                case .failure(let error): outcome = "unexpected \(error)"
                                }
                                tally.record(outcome)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(await client.dispatcher.runningCallsCount == 0)
                #expect(await client.dispatcher.queuedCallsCount == 0)
                #expect(await client.idleConnectionCount <= configuration.maxIdleConnections)
                #expect(await client.openConnectionCount == client.idleConnectionCount)
                await client.shutdown()
                await server.shutdown()
            }
            let counts = tally.all
            let allowed: Set<String> = [
                "ok", "cancelled", ".protocolViolation(.truncatedBody)", ".connectionClosed", ".connectionReset",
            ]
            #expect(Set(counts.keys).isSubset(of: allowed), "outcomes: \(counts)")
            #expect(counts.values.reduce(0, +) == total)
            #expect(counts["ok", default: 0] > total * 8 / 10, "outcomes: \(counts)")
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }
    }
}
