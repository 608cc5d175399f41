import Courier
import CourierTestServer
import Testing

struct Tagging: Interceptor {
    let name: String
    let trace: Lines

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        trace.add("\(name) >")
        var request = request
        request.headers.add("X-Stage", name)
        var response = try await chain.proceed(request)
        trace.add("\(name) <")
        response.headers.add("X-Seen-By", name)
        return response
    }
}

@Suite("The interceptor chain")
struct InterceptorTests {
    @Test("Application then network interceptors run in order around the exchange", arguments: Transport.main)
    func order(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: "ok"))
            let trace = Lines()
            var configuration = transport.configuration()
            configuration.interceptors = [Tagging(name: "app1", trace: trace), Tagging(name: "app2", trace: trace)]
            configuration.networkInterceptors = [NetworkProbe(trace: trace)]
            let client = HTTPClient(configuration: configuration)
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(
                trace.all == [
                    "app1 >", "app2 >", "network > Host=127.0.0.1:\(server.port) \(transport.version)", "network <",
                    "app2 <",
                    "app1 <",
                ])
            #expect(response.headers.values(for: "X-Seen-By") == ["app2", "app1"])
            #expect(try await server.takeRequest().headers.values(for: "X-Stage") == ["app1", "app2"])
            await server.shutdown()
        }
    }

    struct NetworkProbe: Interceptor {
        let trace: Lines
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            // Network interceptors see the request as the bridge made it, and the connection.
            trace.add(
                "network > Host=\(request.headers["Host"] ?? "-") \(chain.connection.map { String(describing: $0.version) } ?? "-")"
            )
            let response = try await chain.proceed(request)
            trace.add("network <")
            return response
        }
    }

    @Test("An application interceptor may answer without the network, or call proceed twice", arguments: Transport.main)
    func applicationFreedom(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(status: HTTPStatus(code: 503), body: "busy"))
            server.enqueue(MockResponse(body: "fine"))
            var configuration = transport.configuration()
            configuration.interceptors = [RetryOnce(), ShortCircuit()]
            let client = HTTPClient(configuration: configuration)
            #expect(try await client.send(HTTPRequest(url: server.url("/cached"))).body.string() == "from memory")
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "fine")
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }

    struct RetryOnce: Interceptor {
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            let first = try await chain.proceed(request)
            guard first.status.code == 503 else { return first }
            _ = try await first.body.string()
            return try await chain.proceed(request)
        }
    }

    struct ShortCircuit: Interceptor {
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            guard request.url.path == "/cached" else { return try await chain.proceed(request) }
            return HTTPResponse(status: .ok, request: request, body: HTTPResponse.Body(string: "from memory"))
        }
    }

    @Test(
        "A network interceptor that skips proceed or calls it twice is a contract violation", arguments: Transport.main,
        [0, 2])
    func networkContract(transport: Transport, calls: Int) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "x") }
            var configuration = transport.configuration()
            configuration.networkInterceptors = [Misbehaving(calls: calls)]
            let client = HTTPClient(configuration: configuration)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .interceptorContractViolation)
            #expect(error?.message.contains("Misbehaving") == true)
            #expect(await client.dispatcher.runningCallsCount == 0)
            await server.shutdown()
        }
    }

    @Test(
        "A network interceptor that replaces the body: the request goes out framed as the new body is, and the connection stays in step",
        arguments: Transport.main, ["bytes to stream", "stream to bytes"])
    func replacedBody(transport: Transport, swap: String) async throws {
        try await withTimeout {
            let server = try await transport.server { request in MockResponse(body: "\(request.body.count)") }
            var configuration = transport.configuration()
            // Bytes that would read as a second request, were the head to promise a chunked body.
            let smuggled = Array("0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            configuration.networkInterceptors = [
                BodySwap { body in
                    swap == "bytes to stream"
                        ? .stream(chunks("abc", "defgh"), length: nil) : .bytes(smuggled)
                }
            ]
            let client = HTTPClient(configuration: configuration)
            var request = HTTPRequest(method: .post, url: server.url("/upload"))
            request.body =
                swap == "bytes to stream" ? .bytes(Array("hello".utf8)) : .stream(chunks("hello"), length: nil)
            let expected = swap == "bytes to stream" ? Array("abcdefgh".utf8) : smuggled
            #expect(try await client.send(request).body.string() == "\(expected.count)")
            #expect(try await client.send(HTTPRequest(url: server.url("/next"))).body.string() == "0")
            let recorded = try await server.takeRequest()
            #expect(recorded.target == "/upload")
            #expect(recorded.body == expected)
            #expect(try await server.takeRequest().target == "/next")
            #expect(server.requestCount == 2)
            #expect(server.connectionCount == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    private func chunks(_ parts: String...) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            for part in parts { continuation.yield(Array(part.utf8)) }
            continuation.finish()
        }
    }

    /// Replaces the body of a request that has one with what `replacement` makes of it.
    struct BodySwap: Interceptor {
        let replacement: @Sendable (HTTPRequest.Body?) -> HTTPRequest.Body
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            var request = request
            if request.body != nil { request.body = replacement(request.body) }
            return try await chain.proceed(request)
        }
    }

    struct Misbehaving: Interceptor {
        let calls: Int
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            var response = HTTPResponse(status: .ok, request: request)
            for _ in 0..<calls {
                response = try await chain.proceed(request)
                _ = try await response.body.string()
            }
            return response
        }
    }
}
