import Courier
import CourierTestServer
import Testing

@Suite("Transparent decompression")
struct CompressionTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    @Test(
        "gzip, deflate (zlib and raw) and br bodies are decoded as they stream",
        arguments: Transport.main,
        [
            ("gzip", "body.gz"), ("deflate", "body.zlib"), ("deflate", "body.rawdeflate"), ("br", "body.br"),
            ("x-gzip", "body.gz"),
        ]
    )
    func decodes(transport: Transport, coding: (encoding: String, file: String)) async throws {
        let (encoding, file) = coding
        let expected = try CompressionTests.fixture("body.txt")
        let encoded = try CompressionTests.fixture(file)
        try await withTimeout {
            let server = try await transport.server()
            // Chunked in small pieces so decoding spans many reads.
            server.enqueue(MockResponse(headers: ["Content-Encoding": encoding], body: encoded).chunked(size: 7))
            let response = try await transport.client().send(HTTPRequest(url: server.url("/")))
            #expect(response.headers["Content-Encoding"] == nil)
            #expect(response.headers["Content-Length"] == nil)
            #expect(try await response.body.collect(upTo: 1 << 20) == expected)
            #expect(try await server.takeRequest().headers["Accept-Encoding"] == "gzip, deflate, br")
            await server.shutdown()
        }
    }

    @Test(
        "Bytes after the compressed data are invalidContentEncoding, never dropped",
        arguments: Transport.main,
        [("gzip", "body.gz"), ("deflate", "body.zlib"), ("deflate", "body.rawdeflate"), ("br", "body.br")]
    )
    func trailingGarbage(transport: Transport, coding: (encoding: String, file: String)) async throws {
        let (encoding, file) = coding
        let encoded = try CompressionTests.fixture(file) + Array("trailing garbage".utf8)
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Content-Encoding": encoding], body: encoded).chunked(size: 1000))
            let response = try await transport.client().send(HTTPRequest(url: server.url("/")))
            let error = await #expect(throws: HTTPClientError.self) { try await response.body.collect(upTo: 1 << 20) }
            #expect(error?.kind == .protocolViolation(.invalidContentEncoding))
            await server.shutdown()
        }
    }

    @Test("A gzip body of several members decodes to their concatenation (RFC 1952 §2.2)", arguments: Transport.main)
    func gzipMembers(transport: Transport) async throws {
        let expected = try CompressionTests.fixture("body.txt")
        let member = try CompressionTests.fixture("body.gz")
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(
                MockResponse(headers: ["Content-Encoding": "gzip"], body: member + member).chunked(size: 999))
            let response = try await transport.client().send(HTTPRequest(url: server.url("/")))
            #expect(try await response.body.collect(upTo: 1 << 20) == expected + expected)
            await server.shutdown()
        }
    }

    @Test("A request that sets Accept-Encoding itself gets the body as sent", arguments: Transport.main)
    func passThrough(transport: Transport) async throws {
        let encoded = try CompressionTests.fixture("body.gz")
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Content-Encoding": "gzip"], body: encoded))
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Accept-Encoding"] = "gzip"
            let response = try await transport.client().send(request)
            #expect(response.headers["Content-Encoding"] == "gzip")
            #expect(try await response.body.collect(upTo: 1 << 20) == encoded)
            await server.shutdown()
        }
    }

    /// One transport: decoding sits above the exchange, and a bomb keeps a core busy for seconds in
    /// a debug build, which would starve the timers of the tests running beside it.
    @Test(
        "A decompression bomb stops at the ratio limit with responseTooLarge; a byte limit also holds",
        arguments: [Transport.http1])
    func bomb(transport: Transport) async throws {
        let bomb = try CompressionTests.fixture("bomb.gz")
        try await withTimeout {
            let server = try await transport.server { _ in
                MockResponse(headers: ["Content-Encoding": "gzip"], body: bomb)
            }
            let error = await #expect(throws: HTTPClientError.self) {
                _ = try await transport.client().send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 1 << 30)
            }
            #expect(error?.kind == .responseTooLarge)
            #expect(error?.message.contains("decompression bomb") == true)
            let capped = transport.client().with {
                $0.decompressionLimit = DecompressionLimit(maxRatio: nil, maxBytes: 100_000)
            }
            let capError = await #expect(throws: HTTPClientError.self) {
                _ = try await capped.send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 1 << 30)
            }
            #expect(capError?.kind == .responseTooLarge)
            await server.shutdown()
        }
    }

    @Test("The limit's rules: nil bounds nothing, the ratio waits for 1 MiB of output")
    func limitRules() throws {
        try DecompressionLimit(maxRatio: nil, maxBytes: nil).check(encoded: 1, decoded: 1 << 30)
        try DecompressionLimit(maxRatio: 10).check(encoded: 1, decoded: 1 << 20)
        #expect(throws: HTTPClientError.self) {
            try DecompressionLimit(maxRatio: 10).check(encoded: 1, decoded: (1 << 20) + 1)
        }
        #expect(throws: HTTPClientError.self) { try DecompressionLimit(maxBytes: 5).check(encoded: 5, decoded: 6) }
    }

    @Test(
        "Corrupt or truncated compressed bodies are invalidContentEncoding", arguments: Transport.main, ["gzip", "br"])
    func corrupt(transport: Transport, encoding: String) async throws {
        let encoded = try CompressionTests.fixture(encoding == "gzip" ? "body.gz" : "body.br")
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(
                MockResponse(headers: ["Content-Encoding": encoding], body: Array(encoded.prefix(encoded.count / 2))))
            server.enqueue(
                MockResponse(headers: ["Content-Encoding": encoding], body: Array(repeating: 0x42, count: 64)))
            for _ in 0..<2 {
                let error = await #expect(throws: HTTPClientError.self) {
                    _ = try await transport.client().send(HTTPRequest(url: server.url("/"))).body.collect(upTo: 1 << 20)
                }
                #expect(error?.kind == .protocolViolation(.invalidContentEncoding))
            }
            await server.shutdown()
        }
    }

    @Test(
        "An empty body is empty whatever its Content-Encoding, chunked or not", arguments: Transport.main,
        ["gzip", "br"])
    func emptyEncodedBody(transport: Transport, encoding: String) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Content-Encoding": encoding], body: []).chunked(size: 16))
            server.enqueue(MockResponse(headers: ["Content-Encoding": encoding], body: []))
            for _ in 0..<2 {
                #expect(try await transport.client().send(HTTPRequest(url: server.url("/"))).body.string() == "")
            }
            await server.shutdown()
        }
    }

    @Test("A truncated compressed body fails every read after, never ends cleanly")
    func failureSticks() async throws {
        let encoded = try CompressionTests.fixture("body.gz")
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(
                MockResponse(headers: ["Content-Encoding": "gzip"], body: Array(encoded.prefix(encoded.count / 2))))
            let response = try await HTTPClient().send(HTTPRequest(url: server.url("/")))
            var iterator = response.body.makeAsyncIterator()
            var failures = 0
            for _ in 0..<3 {
                do {
                    while try await iterator.next() != nil {}
                    Issue.record("the truncated body ended cleanly")
                } catch let error as HTTPClientError {
                    #expect(error.kind == .protocolViolation(.invalidContentEncoding))
                    failures += 1
                }
            }
            #expect(failures == 3)
            await server.shutdown()
        }
    }

    @Test("A streamed body read a second time throws bodyAlreadyConsumed, from any copy", arguments: Transport.main)
    func readTwice(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(body: Array(repeating: 0x61, count: 300_000)))
            let response = try await transport.client().send(HTTPRequest(url: server.url("/")))
            let copy = response.body
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            let error = await #expect(throws: HTTPClientError.self) { try await copy.collect(upTo: 1 << 20) }
            #expect(error?.kind == .bodyAlreadyConsumed)
            while try await iterator.next() != nil {}
            await #expect(throws: HTTPClientError.self) { try await response.body.string() }
            // A body held in memory may be read again: it is the same bytes.
            let made = HTTPResponse.Body(string: "again")
            #expect(try await made.string() == "again")
            #expect(try await made.string() == "again")
            await server.shutdown()
        }
    }
}
