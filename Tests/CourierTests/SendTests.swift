import Courier
import CourierTestServer
import Testing

@Suite("Sending requests")
struct SendTests {
    @Test("GET returns status, headers and the streamed body", arguments: Transport.main + [.h2c])
    func get(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(
                MockResponse(headers: ["Content-Type": "text/plain", "X-Multi": "a"], body: "Hello, world!"))
            let client = transport.client()
            var request = HTTPRequest(url: server.url("/greeting?lang=en"))
            request.headers["Accept"] = "text/plain"
            request.headers.add("X-Trace", "1")
            request.headers.add("X-Trace", "2")
            let response = try await client.send(request)
            #expect(response.status.code == 200)
            #expect(response.version == transport.version)
            #expect(response.headers["content-type"] == "text/plain")
            #expect(try await response.body.string() == "Hello, world!")

            let recorded = try await server.takeRequest()
            #expect(recorded.method == .get)
            #expect(recorded.version == transport.version)
            #expect(recorded.target == "/greeting?lang=en")
            #expect(recorded.headers["Host"] == "127.0.0.1:\(server.port)")
            #expect(recorded.headers["User-Agent"] == "Courier/\(Courier.version)")
            #expect(recorded.headers.values(for: "X-Trace") == ["1", "2"])
            #expect(recorded.headers["Content-Length"] == nil)
            await server.shutdown()
        }
    }

    @Test(
        "A URL goes out as the URL Standard reads it: 127.1 is 127.0.0.1, dot segments resolved",
        arguments: Transport.main)
    func canonicalTarget(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: "ok"))
            let written = server.url("/a/./b/%2e%2e/c?d=/../").absoluteString
                .replacingOccurrences(of: "://127.0.0.1:", with: "://127.1:")
            let response = try await transport.client().send(HTTPRequest(url: URL(string: written)!))
            #expect(try await response.body.string() == "ok")
            let recorded = try await server.takeRequest()
            #expect(recorded.target == "/a/c?d=/../")
            #expect(recorded.headers["Host"] == "127.0.0.1:\(server.port)")
            await server.shutdown()
        }
    }

    struct Payload: Codable, Equatable {
        let id: Int
        let name: String
    }

    @Test("POST JSON sends Content-Type and Content-Length, and decodes the reply", arguments: Transport.main)
    func postJSON(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { request in
                MockResponse(status: .created, headers: ["Content-Type": "application/json"], body: request.body)
            }
            let client = transport.client()
            let payload = Payload(id: 7, name: "courier")
            let response = try await client.send(
                HTTPRequest(method: .post, url: server.url("/items"), body: .json(payload)))
            #expect(response.status.code == 201)
            #expect(try await response.body.decode(Payload.self) == payload)
            let recorded = try await server.takeRequest()
            #expect(recorded.method == .post)
            #expect(recorded.headers["Content-Type"] == "application/json")
            #expect(recorded.headers["Content-Length"] == String(recorded.body.count))
            #expect(try JSONDecoder().decode(Payload.self, from: Data(recorded.body)) == payload)
            await server.shutdown()
        }
    }

    @Test("A stream body with a length is sent with Content-Length; without one, chunked", arguments: Transport.main)
    func streamBodies(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { MockResponse(body: "\($0.body.count)") }
            let client = transport.client()
            let parts: [[UInt8]] = [Array("abc".utf8), [], Array("defgh".utf8)]
            let withLength = HTTPRequest(
                method: .put, url: server.url("/a"), body: .stream(AsyncChunks(parts), length: 8))
            #expect(try await client.send(withLength).body.string() == "8")
            let chunked = HTTPRequest(
                method: .put, url: server.url("/b"), body: .stream(AsyncChunks(parts), length: nil))
            #expect(try await client.send(chunked).body.string() == "8")
            let first = try await server.takeRequest()
            #expect(first.headers["Content-Length"] == "8")
            #expect(first.bodyString == "abcdefgh")
            let second = try await server.takeRequest()
            // HTTP/2 frames a body of unknown length with DATA frames, never chunked (RFC 9113 §8.2.2).
            #expect(second.headers["Transfer-Encoding"] == (transport.multiplexes ? nil : "chunked"))
            #expect(second.headers["Content-Length"] == nil)
            #expect(second.bodyString == "abcdefgh")
            await server.shutdown()
        }
    }

    @Test("A stream that produces fewer bytes than its declared length fails the call", arguments: Transport.main)
    func shortStream(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let client = transport.client()
            let request = HTTPRequest(
                method: .post, url: server.url("/"), body: .stream(AsyncChunks([Array("abc".utf8)]), length: 10))
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(request) }
            #expect(error?.kind == .invalidRequest)
            await server.shutdown()
        }
    }

    @Test("A file body is read off the cooperative pool and sent", arguments: Transport.main)
    func fileBody(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { MockResponse(body: $0.body) }
            let path = "/tmp/courier-body-\(UInt32.random(in: 0...UInt32.max))"
            let contents = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 31) }
            try Data(contents).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let client = transport.client()
            let response = try await client.send(
                HTTPRequest(method: .post, url: server.url("/upload"), body: .file(URL(fileURLWithPath: path))))
            #expect(try await response.body.collect(upTo: 1 << 20) == contents)
            let recorded = try await server.takeRequest()
            #expect(recorded.headers["Transfer-Encoding"] == (transport.multiplexes ? nil : "chunked"))
            #expect(recorded.headers["Content-Type"] == "application/octet-stream")
            await server.shutdown()
        }
    }

    @Test("A body file that cannot be opened fails the call with requestBodyFailed", arguments: Transport.main)
    func missingFile(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let client = transport.client()
            let body = HTTPRequest.Body.file(URL(fileURLWithPath: "/nonexistent/courier-body"))
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(method: .put, url: server.url("/"), body: body))
            }
            #expect(error?.kind == .requestBodyFailed)
            #expect(error?.message.contains("/nonexistent/courier-body") == true)
            // The reason is the failing thread's errno, not whatever the resuming thread last saw.
            #expect(error?.message.contains("No such file or directory") == true, "\(error?.message ?? "")")
            // HTTP/1.1 closes a connection left mid-request; HTTP/2 resets the stream and keeps it.
            #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            await server.shutdown()
        }
    }

    struct ProducerFailed: Error {}

    @Test("A body stream that throws fails the call with requestBodyFailed", arguments: Transport.main)
    func throwingStream(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let client = transport.client()
            let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
            continuation.yield(Array("partial".utf8))
            continuation.finish(throwing: ProducerFailed())
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(
                    HTTPRequest(method: .post, url: server.url("/"), body: .stream(stream, length: nil)))
            }
            #expect(error?.kind == .requestBodyFailed)
            #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            await server.shutdown()
        }
    }

    @Test("POST without a body sends Content-Length: 0", arguments: Transport.main)
    func emptyPost(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let client = transport.client()
            _ = try await client.send(HTTPRequest(method: .post, url: server.url("/")))
            #expect(try await server.takeRequest().headers["Content-Length"] == "0")
            await server.shutdown()
        }
    }

    @Test("Framing headers a caller sets on a request without a body are not sent", arguments: Transport.main)
    func bodilessFraming(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let client = transport.client()
            for method in [HTTPMethod.get, .post] {
                let request = HTTPRequest(
                    method: method, url: server.url("/"),
                    headers: ["Content-Length": "5", "Transfer-Encoding": "chunked"])
                #expect(try await client.send(request).body.string().contains("No response was enqueued"))
                let recorded = try await server.takeRequest()
                #expect(recorded.headers["Transfer-Encoding"] == nil)
                #expect(recorded.headers["Content-Length"] == (method == .post ? "0" : nil))
            }
            // Both went over one connection: neither left the server waiting for a body.
            #expect(server.connectionCount == 1)
            await server.shutdown()
        }
    }

    /// HTTP/1.1 framing on the wire: chunked, close-delimited (raw bytes and a socket policy).
    @Test("Chunked, close-delimited and empty bodies are framed correctly", arguments: [1, 7, 4096])
    func bodyFraming(chunkSize: Int) async throws {
        try await withTimeout {
            let server = try await TestServer()
            let body = (0..<10_000).map { UInt8(truncatingIfNeeded: $0) }
            server.enqueue(MockResponse(body: body).chunked(size: chunkSize))
            server.enqueue(
                MockResponse(rawBytes: Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end".utf8)).policy(
                    .closeAfterResponse))
            server.enqueue(MockResponse(status: .noContent))
            server.enqueue(MockResponse(status: .notModified, headers: ["Content-Length": "100"]))
            let client = HTTPClient()
            #expect(try await client.send(HTTPRequest(url: server.url("/chunked"))).body.collect(upTo: 1 << 20) == body)
            #expect(try await client.send(HTTPRequest(url: server.url("/close"))).body.string() == "until the end")
            #expect(try await client.send(HTTPRequest(url: server.url("/204"))).body.collect(upTo: 0) == [])
            #expect(try await client.send(HTTPRequest(url: server.url("/304"))).body.collect(upTo: 0) == [])
            await server.shutdown()
        }
    }

    @Test("HEAD responses have no body even with a Content-Length", arguments: Transport.main)
    func head(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Content-Length": "1234"]))
            server.enqueue(MockResponse(body: "next"))
            let client = transport.client()
            let response = try await client.send(HTTPRequest(method: .head, url: server.url("/")))
            #expect(response.headers["Content-Length"] == "1234")
            #expect(try await response.body.collect(upTo: 0) == [])
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "next")
            #expect(server.connectionCount == 1)
            await server.shutdown()
        }
    }

    /// Raw HTTP/1.1 heads; HTTP2ConnectionStateTests cover 1xx over HTTP/2.
    @Test("Interim 1xx responses are skipped")
    func informational() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(
                MockResponse(
                    raw:
                        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                ))
            let client = HTTPClient()
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(response.status.code == 200)
            #expect(try await response.body.string() == "ok")
            await server.shutdown()
        }
    }

    @Test(
        "collect(upTo:) throws responseTooLarge and closes the connection (HTTP/2: resets the stream)",
        arguments: Transport.main)
    func tooLarge(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: [UInt8](repeating: 1, count: 100_000)))
            let client = transport.client()
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            let error = await #expect(throws: HTTPClientError.self) { try await response.body.collect(upTo: 1000) }
            #expect(error?.kind == .responseTooLarge)
            // An HTTP/1.1 connection with unread bytes is closed; an HTTP/2 stream is reset.
            #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            await server.shutdown()
        }
    }

    @Test("Headers with CR, LF or NUL are rejected before anything is written", arguments: Transport.main)
    func invalidHeaders(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let client = transport.client()
            for value in ["a\r\nInjected: yes", "a\nb", "a\u{0}b"] {
                var request = HTTPRequest(url: server.url("/"))
                request.headers["X-Bad"] = value
                let error = await #expect(throws: HTTPClientError.self) { try await client.send(request) }
                #expect(error?.kind == .invalidRequest)
            }
            var badName = HTTPRequest(url: server.url("/"))
            badName.headers["Bad Name"] = "x"
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(badName) }
            #expect(error?.kind == .invalidRequest)
            #expect(server.requestCount == 0)
            await server.shutdown()
        }
    }

    @Test("Unsupported schemes and hostless URLs are invalidURL")
    func invalidURL() async throws {
        let client = HTTPClient()
        for text in ["ftp://127.0.0.1/", "http:///path"] {
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: URL(string: text)!))
            }
            #expect(error?.kind == .invalidURL)
        }
    }
}

/// A finite async sequence of chunks, for stream bodies.
struct AsyncChunks: AsyncSequence, Sendable {
    let chunks: [[UInt8]]

    init(_ chunks: [[UInt8]]) {
        self.chunks = chunks
    }

    func makeAsyncIterator() -> Iterator {
        Iterator(chunks: chunks[...])
    }

    struct Iterator: AsyncIteratorProtocol {
        var chunks: ArraySlice<[UInt8]>

        mutating func next() async -> [UInt8]? {
            chunks.popFirst()
        }
    }
}

@Suite("Trailers")
struct TrailerTests {
    /// Raw HTTP/1.1 chunked framing.
    @Test("Chunked trailers are readable once the body has ended, and only then")
    func chunkedTrailers() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(
                MockResponse(
                    raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                        + "5\r\nhello\r\n0\r\nX-Checksum: abc123\r\nX-Count: 1\r\nX-Count: 2\r\n\r\n"))
            let client = HTTPClient()
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(response.trailers().fields.isEmpty)
            #expect(try await response.body.string() == "hello")
            #expect(response.trailers()["X-Checksum"] == "abc123")
            #expect(response.trailers().values(for: "x-count") == ["1", "2"])
            await server.shutdown()
        }
    }

    @Test("HTTP/2 trailers are readable once the body has ended, and only then", arguments: [Transport.http2, .h2c])
    func http2Trailers(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            var trailers: HTTPHeaders = ["X-Checksum": "abc123", "X-Count": "1"]
            trailers.add("X-Count", "2")
            server.enqueue(MockResponse(body: "hello").trailers(trailers))
            server.enqueue(MockResponse().trailers(["X-Empty-Body": "yes"]))
            let client = transport.client()
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(response.version == .http2)
            #expect(response.trailers().fields.isEmpty)
            #expect(try await response.body.string() == "hello")
            #expect(response.trailers()["X-Checksum"] == "abc123")
            #expect(response.trailers().values(for: "x-count") == ["1", "2"])
            // Trailers straight after the head: no DATA at all.
            let bodyless = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(try await bodyless.body.collect(upTo: 0) == [])
            #expect(bodyless.trailers()["X-Empty-Body"] == "yes")
            #expect(await client.openConnectionCount == 1)
            await server.shutdown()
        }
    }
}
