import Courier
import CourierTestServer
import Testing

@Suite("Dispatcher admission")
struct DispatcherTests {
    @Test("Calls beyond the dispatcher's limit wait in order and run as bodies finish", arguments: Transport.main)
    func queueing(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { request in MockResponse(body: request.path) }
            var configuration = transport.configuration()
            // Calls that may share an HTTP/2 connection are exempt from maxRequestsPerHost.
            if transport.multiplexes { configuration.maxRequests = 1 } else { configuration.maxRequestsPerHost = 1 }
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

    @Test("Dropping a response without reading it ends its admission", arguments: Transport.main)
    func droppedResponse(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: [UInt8](repeating: 0, count: 100_000)) }
            var configuration = transport.configuration()
            if transport.multiplexes { configuration.maxRequests = 1 } else { configuration.maxRequestsPerHost = 1 }
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

    @Test(
        "A call cancelled as its response arrives, under callTimeout, still ends its admission",
        arguments: Transport.main)
    func cancelledAsResponseArrives(transport: Transport) async throws {
        try await withTimeout(.seconds(10)) {
            let server = try await transport.server { _ in MockResponse(body: "ok") }
            var configuration = transport.configuration()
            if transport.multiplexes { configuration.maxRequests = 1 } else { configuration.maxRequestsPerHost = 1 }
            configuration.callTimeout = .seconds(60)
            let (arrived, arrival) = AsyncStream.makeStream(of: Void.self)
            configuration.interceptors = [HoldsUntilCancelled(arrival: arrival)]
            let client = HTTPClient(configuration: configuration)
            do {
                let call = Task { try await client.send(HTTPRequest(url: server.url("/held"))) }
                for await _ in arrived { break }
                call.cancel()
                // The response, if the call returned one, is dropped with the task.
                _ = await call.result
            }
            while await client.dispatcher.runningCallsCount > 0 { await Task.yield() }
            // With the admission kept, this call would wait for it forever.
            let next = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(try await next.body.string() == "ok")
            await server.shutdown()
        }
    }
}

/// Gets the response, says so, then holds it until the call is cancelled and a little past,
/// so that the call-timeout timer's cancellation reaches the task group first.
private struct HoldsUntilCancelled: Interceptor {
    let arrival: AsyncStream<Void>.Continuation

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        let response = try await chain.proceed(request)
        guard request.url.path == "/held" else { return response }
        arrival.yield()
        while !Task.isCancelled { await Task.yield() }
        for _ in 0..<100 { await Task.yield() }
        return response
    }
}
