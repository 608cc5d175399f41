import Courier
import CourierTestServer
import Synchronization
import Testing

extension ProcessWide {
    /// Servers that never let the socket run dry: cancellation, `callTimeout` and the
    /// interim-response bound must win even though no read ever has to wait. Each runs over
    /// HTTP/1.1 and HTTPS. In the ProcessWide run because an endless body keeps a core busy, which
    /// would skew the timing of tests running beside it.
    @Suite("Cancellation and callTimeout against a server that keeps sending")
    struct RelentlessServerTests {
        /// A server answering with `response` and a client that trusts it.
        static func endpoints(
            _ transport: Transport, _ configure: (inout HTTPClient.Configuration) -> Void = { _ in },
            _ response: @escaping @Sendable () -> MockResponse
        ) async throws -> (TestServer, HTTPClient) {
            let server = try await transport.server { _ in response() }
            return (server, transport.client(configure))
        }

        /// 4 MiB writes for as long as the client reads, under a Content-Length of 100 TB.
        static func endlessBody() -> MockResponse {
            MockResponse(length: 100_000_000_000_000) { writer in
                let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 4 << 20)
                while true { try await writer.write(chunk) }
            }
        }

        /// Raw HTTP/1.1 heads; HTTP/2 bounds interim responses per stream (HTTP2ConnectionStateTests).
        @Test("An endless run of 100 Continue heads ends in headersTooLarge", arguments: [Transport.http1, .https])
        func endlessInterimResponses(transport: Transport) async throws {
            try await withTimeout {
                let (server, client) = try await ProcessWide.RelentlessServerTests.endpoints(transport) {
                    MockResponse(rawProducer: { writer in
                        let heads = [UInt8](String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 1000).utf8)
                        while true { try await writer.write(heads) }
                    })
                }
                let error = await #expect(throws: HTTPClientError.self) {
                    try await client.send(HTTPRequest(url: server.url("/")))
                }
                #expect(error?.kind == .protocolViolation(.headersTooLarge))
                #expect(await client.openConnectionCount == 0)
                await server.shutdown()
            }
        }

        @Test("callTimeout ends a call whose body never stops arriving", arguments: Transport.main)
        func callTimeoutDuringEndlessBody(transport: Transport) async throws {
            try await withTimeout {
                let (server, client) = try await ProcessWide.RelentlessServerTests.endpoints(
                    transport, { $0.callTimeout = .seconds(2) }, ProcessWide.RelentlessServerTests.endlessBody)
                let start = ContinuousClock.now
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                let error = await #expect(throws: HTTPClientError.self) {
                    for try await _ in response.body {}
                }
                #expect(error?.kind == .timeout(.call))
                #expect(ContinuousClock.now - start < .seconds(10))
                #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
                #expect(await client.dispatcher.runningCallsCount == 0)
                await server.shutdown()
            }
        }

        @Test("Cancelling the reading task ends an endless body promptly", arguments: Transport.main)
        func cancelDuringEndlessBody(transport: Transport) async throws {
            try await withTimeout {
                let (server, client) = try await ProcessWide.RelentlessServerTests.endpoints(
                    transport, { _ in }, ProcessWide.RelentlessServerTests.endlessBody)
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                let (flowing, signal) = AsyncStream.makeStream(of: Void.self)
                let reader = Task {
                    var count = 0
                    for try await chunk in response.body {
                        count += chunk.count
                        if count >= 16 << 20 { signal.yield() }
                    }
                }
                for await _ in flowing { break }
                let cancelled = ContinuousClock.now
                reader.cancel()
                await #expect(throws: CancellationError.self) { try await reader.value }
                #expect(ContinuousClock.now - cancelled < .seconds(2))
                #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
                await server.shutdown()
            }
        }

        @Test("callTimeout covers a body that trickles in", arguments: Transport.main)
        func callTimeoutDuringTrickle(transport: Transport) async throws {
            try await withTimeout {
                let (server, client) = try await ProcessWide.RelentlessServerTests.endpoints(
                    transport,
                    {
                        $0.callTimeout = .seconds(2)
                        $0.readTimeout = .seconds(10)
                    }
                ) {
                    MockResponse(body: [UInt8](repeating: 1, count: 1000)).throttled(bytes: 1, per: .milliseconds(50))
                }
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                let error = await #expect(throws: HTTPClientError.self) {
                    _ = try await response.body.collect(upTo: 1 << 20)
                }
                #expect(error?.kind == .timeout(.call))
                await server.shutdown()
            }
        }
    }
}
