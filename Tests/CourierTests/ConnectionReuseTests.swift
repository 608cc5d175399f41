import Courier
import CourierTestServer
import Testing

@Suite("Connection reuse and limits")
struct ConnectionReuseTests {
    @Test("1,000 sequential requests reuse one connection", arguments: Transport.main)
    func sequentialReuse(transport: Transport) async throws {
        try await withTimeout(.seconds(60)) {
            let server = try await transport.server { _ in MockResponse(body: "Hello, world!") }
            let client = transport.client()
            for _ in 0..<1000 {
                let response = try await client.send(HTTPRequest(url: server.url("/hello")))
                _ = try await response.body.collect(upTo: 100)
            }
            var sequence: [Int] = []
            var connections = Set<Int>()
            for _ in 0..<1000 {
                let recorded = try await server.takeRequest()
                sequence.append(recorded.sequenceNumber)
                connections.insert(recorded.connectionIndex)
            }
            #expect(sequence == Array(0..<1000))
            #expect(connections.count == 1)
            #expect(server.connectionCount == 1)
            #expect(await client.idleConnectionCount == 1)
            await server.shutdown()
        }
    }

    /// HTTP/1.1's rule (one exchange per connection); HTTP/2's is the test after.
    @Test(
        "64 concurrent calls to one host never use more than maxRequestsPerHost connections",
        arguments: [Transport.http1, .https])
    func concurrentCallsRespectHostLimit(transport: Transport) async throws {
        try await withTimeout(.seconds(60)) {
            // Each response is slow enough that calls overlap and the limit is really exercised.
            let server = try await transport.server { _ in
                MockResponse(body: [UInt8](repeating: 0x61, count: 2000)).throttled(bytes: 1000, per: .milliseconds(5))
            }
            let client = transport.client()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        let response = try await client.send(HTTPRequest(url: server.url("/")))
                        return try await response.body.collect(upTo: 10_000).count
                    }
                }
                for try await count in group { #expect(count == 2000) }
            }
            #expect(server.requestCount == 64)
            #expect(server.peakConnectionCount == 5)
            #expect(server.connectionCount == 5)
            #expect(await client.dispatcher.runningCallsCount == 0)
            #expect(await client.dispatcher.queuedCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test(
        "64 concurrent HTTP/2 calls share one connection although maxRequestsPerHost is 5; maxRequests bounds them",
        arguments: [Transport.http2, .h2c])
    func concurrentCallsMultiplex(transport: Transport) async throws {
        try await withTimeout(.seconds(60)) {
            // The first 16 responses are held until all 16 are in flight at once: more than
            // maxRequestsPerHost, which the dispatcher does not apply to calls that may multiplex.
            let gate = Gate(opensAfter: 16)
            let server = try await transport.server { _ in
                MockResponse(length: 2000) { writer in
                    try await gate.pass { try await writer.write([UInt8](repeating: 0x61, count: 2000)) }
                }
            }
            let client = transport.client {
                $0.maxRequests = 16
                $0.maxRequestsPerHost = 5
            }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        let response = try await client.send(HTTPRequest(url: server.url("/")))
                        #expect(response.version == .http2)
                        return try await response.body.collect(upTo: 10_000).count
                    }
                }
                for try await count in group { #expect(count == 2000) }
            }
            #expect(server.requestCount == 64)
            #expect(gate.peak == 16, "maxRequests bounds the streams in flight")
            #expect(server.connectionCount == 1)
            #expect(server.peakConnectionCount == 1)
            #expect(await client.openConnectionCount == 1)
            #expect(await client.dispatcher.runningCallsCount == 0)
            #expect(await client.dispatcher.queuedCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test(
        "When HTTP/2 streams run out, the pool opens more connections, at most maxRequestsPerHost",
        arguments: [Transport.http2, .h2c])
    func streamLimitSpillsToNewConnections(transport: Transport) async throws {
        try await withTimeout(.seconds(60)) {
            // 2 streams per connection × 3 connections: at most 6 responses in flight.
            let gate = Gate(opensAfter: 6)
            var http2 = HTTP2Options()
            http2.maxConcurrentStreams = 2
            let server = try await transport.server(http2: http2) { _ in
                MockResponse(length: 100) { writer in
                    try await gate.pass { try await writer.write([UInt8](repeating: 0x62, count: 100)) }
                }
            }
            let client = transport.client { $0.maxRequestsPerHost = 3 }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 1000).count
                    }
                }
                for try await count in group { #expect(count == 100) }
            }
            #expect(server.requestCount == 20, "no stream was refused and retried")
            #expect(gate.peak == 6)
            #expect(server.peakConnectionCount == 3)
            #expect(server.connectionCount == 3)
            await server.shutdown()
        }
    }

    @Test(
        "Cancelling one of 64 in-flight HTTP/2 calls resets only its stream: the others complete on the same connection",
        arguments: [Transport.http2, .h2c])
    func cancelOneOfMany(transport: Transport) async throws {
        try await withTimeout(.seconds(60)) {
            let gate = Gate()
            let server = try await transport.server { request in
                request.path == "/victim"
                    ? MockResponse().http2(.noResponse)
                    : MockResponse(length: 5) { writer in
                        try await gate.pass { try await writer.write(Array("other".utf8)) }
                    }
            }
            let client = transport.client()
            let victim = Task { try await client.send(HTTPRequest(url: server.url("/victim"))) }
            let others = (0..<63).map { _ in
                Task { try await client.send(HTTPRequest(url: server.url("/other"))).body.string() }
            }
            // All 64 are on the server, none answered yet.
            for _ in 0..<64 { _ = try await server.takeRequest() }
            victim.cancel()
            await #expect(throws: CancellationError.self) { try await victim.value }
            gate.open()
            for other in others { #expect(try await other.value == "other") }
            #expect(server.connectionCount == 1)
            #expect(await client.openConnectionCount == 1)
            #expect(await client.dispatcher.runningCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test(
        "A body dropped before its end closes its connection instead of pooling it (HTTP/2: resets its stream)",
        arguments: Transport.main)
    func abandonedBodyClosesConnection(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: [UInt8](repeating: 1, count: 1 << 20)))
            server.enqueue(MockResponse(body: "second"))
            let client = transport.client()
            let first = try await client.send(HTTPRequest(url: server.url("/")))
            await first.body.source?.abandon()
            // HTTP/1.1 cannot tell the rest of the body from the next response; HTTP/2 resets the
            // stream and goes on.
            #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "second")
            #expect(server.connectionCount == (transport.multiplexes ? 1 : 2))
            await server.shutdown()
        }
    }

    /// An HTTP/1.1 connection field and socket policy (HTTP/2 forbids the field).
    @Test("Connection: close on a response keeps it out of the pool")
    func connectionClose() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(headers: ["Connection": "close"], body: "one").policy(.closeAfterResponse))
            server.enqueue(MockResponse(body: "two"))
            let client = HTTPClient()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "one")
            #expect(await client.idleConnectionCount == 0)
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "two")
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("A request that says Connection: close does not return its connection to the pool", arguments: Transport.main)
    func requestConnectionClose(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "x") }
            let client = transport.client()
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Connection"] = "close"
            #expect(try await client.send(request).body.string() == "x")
            // Connection is an HTTP/1.1 field: HTTP/2 drops it (RFC 9113 §8.2.2) and keeps the
            // connection, which other calls share.
            #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            #expect(try await server.takeRequest().headers["Connection"] == (transport.multiplexes ? nil : "close"))
            await server.shutdown()
        }
    }

    @Test("A pooled connection the server closed is detected and replaced", arguments: Transport.main)
    func staleConnection(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: "one"))
            server.enqueue(MockResponse(body: "two"))
            // Retries off: only the health check can keep the second call off the dead connection.
            let client = transport.client().with { $0.retryOnConnectionFailure = false }
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "one")
            await server.closeConnections()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "two")
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("shutdown() closes idle connections", arguments: Transport.main)
    func shutdownEvicts(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "x") }
            let client = transport.client()
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            #expect(await client.idleConnectionCount == 1)
            await client.shutdown()
            #expect(await client.openConnectionCount == 0)
            await server.shutdown()
        }
    }
}

@Suite("The connection pool's limits")
struct PoolLimitTests {
    /// Eight connections at once: HTTP/1.1's one exchange per connection.
    @Test("At most maxIdleConnections stay idle; the rest are closed")
    func idleLimit() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in
                MockResponse(body: [UInt8](repeating: 0x62, count: 1000)).throttled(bytes: 500, per: .milliseconds(20))
            }
            var configuration = HTTPClient.Configuration()
            configuration.maxRequestsPerHost = 8
            configuration.maxIdleConnections = 3
            let client = HTTPClient(configuration: configuration)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        _ = try await client.send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 2000)
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.peakConnectionCount == 8)
            #expect(await client.idleConnectionCount == 3)
            #expect(await client.openConnectionCount == 3)
            await server.shutdown()
        }
    }

    @Test("Idle connections are closed after keepAlive by the pool's eviction task", arguments: Transport.main)
    func keepAliveEviction(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "x") }
            let client = transport.client { $0.keepAlive = .milliseconds(100) }
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            #expect(await client.idleConnectionCount == 1)
            // Eviction is driven by a timer, so the test observes it over time (bounded by withTimeout).
            while await client.idleConnectionCount > 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(await client.openConnectionCount == 0)
            await server.shutdown()
        }
    }

    @Test("IPv6 loopback works end to end")
    func ipv6() async throws {
        try await withTimeout {
            let server = try await TestServer(host: "::1") { _ in MockResponse(body: "over v6") }
            #expect(server.url("/").absoluteString.hasPrefix("http://[::1]:"))
            let response = try await HTTPClient().send(HTTPRequest(url: server.url("/six")))
            #expect(try await response.body.string() == "over v6")
            #expect(try await server.takeRequest().headers["Host"] == "[::1]:\(server.port)")
            await server.shutdown()
        }
    }
}
