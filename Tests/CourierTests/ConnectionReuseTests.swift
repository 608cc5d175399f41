import Courier
import CourierTestServer
import Testing

@Suite("Connection reuse and limits")
struct ConnectionReuseTests {
    @Test("1,000 sequential requests reuse one connection")
    func sequentialReuse() async throws {
        try await withTimeout(.seconds(60)) {
            let server = try await TestServer { _ in MockResponse(body: "Hello, world!") }
            let client = HTTPClient()
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

    @Test("64 concurrent calls to one host never use more than maxRequestsPerHost connections")
    func concurrentCallsRespectHostLimit() async throws {
        try await withTimeout(.seconds(60)) {
            // Each response is slow enough that calls overlap and the limit is really exercised.
            let server = try await TestServer { _ in
                MockResponse(body: [UInt8](repeating: 0x61, count: 2000)).throttled(bytes: 1000, per: .milliseconds(5))
            }
            let client = HTTPClient()
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

    @Test("A body dropped before its end closes its connection instead of pooling it")
    func abandonedBodyClosesConnection() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(body: [UInt8](repeating: 1, count: 1 << 20)))
            server.enqueue(MockResponse(body: "second"))
            let client = HTTPClient()
            let first = try await client.send(HTTPRequest(url: server.url("/")))
            await first.body.source?.abandon()
            #expect(await client.openConnectionCount == 0)
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "second")
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

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

    @Test("A request that says Connection: close does not return its connection to the pool")
    func requestConnectionClose() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "x") }
            let client = HTTPClient()
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Connection"] = "close"
            #expect(try await client.send(request).body.string() == "x")
            #expect(await client.openConnectionCount == 0)
            #expect(try await server.takeRequest().headers["Connection"] == "close")
            await server.shutdown()
        }
    }

    @Test("A pooled connection the server closed is detected and replaced")
    func staleConnection() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(body: "one"))
            server.enqueue(MockResponse(body: "two"))
            // Retries off: only the health check can keep the second call off the dead connection.
            let client = HTTPClient().with { $0.retryOnConnectionFailure = false }
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "one")
            await server.closeConnections()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "two")
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("shutdown() closes idle connections")
    func shutdownEvicts() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "x") }
            let client = HTTPClient()
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

    @Test("Idle connections are closed after keepAlive by the pool's eviction task")
    func keepAliveEviction() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: "x") }
            var configuration = HTTPClient.Configuration()
            configuration.keepAlive = .milliseconds(100)
            let client = HTTPClient(configuration: configuration)
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
