import Courier
import CourierTestServer
import Testing

@Suite("Dispatcher admission")
struct DispatcherTests {
    @Test("Calls beyond maxRequestsPerHost wait in order and run as bodies finish")
    func queueing() async throws {
        try await withTimeout {
            let server = try await TestServer { request in MockResponse(body: request.path) }
            var configuration = HTTPClient.Configuration()
            configuration.maxRequestsPerHost = 1
            let client = HTTPClient(configuration: configuration)
            let first = try await client.send(HTTPRequest(url: server.url("/first")))
            #expect(await client.dispatcher.runningCallsCount == 1)
            let second = Task { try await client.send(HTTPRequest(url: server.url("/second"))).body.string() }
            while await client.dispatcher.queuedCallsCount == 0 { await Task.yield() }
            #expect(server.requestCount == 1)
            #expect(try await first.body.string() == "/first")
            #expect(try await second.value == "/second")
            #expect(await client.dispatcher.runningCallsCount == 0)
            #expect(server.connectionCount == 1)
            await server.shutdown()
        }
    }

    @Test("Dropping a response without reading it ends its admission")
    func droppedResponse() async throws {
        try await withTimeout {
            let server = try await TestServer { _ in MockResponse(body: [UInt8](repeating: 0, count: 100_000)) }
            var configuration = HTTPClient.Configuration()
            configuration.maxRequestsPerHost = 1
            let client = HTTPClient(configuration: configuration)
            do {
                _ = try await client.send(HTTPRequest(url: server.url("/")))
            }
            // The dropped body's admission ends asynchronously; the next call waits for it.
            let next = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(try await next.body.collect(upTo: 1 << 20).count == 100_000)
            await server.shutdown()
        }
    }
}
