import Courier
import CourierTestServer
import Testing

@Suite("Malformed responses become precise errors")
struct MalformedResponseTests {
    typealias Violation = HTTPClientError.ProtocolViolation

    static let cases: [(String, HTTPClientError.Kind)] = [
        ("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", .protocolViolation(.malformedStatusLine)),
        ("HTTP/1.1200 OK\r\n\r\n", .protocolViolation(.malformedStatusLine)),
        ("ICY 200 OK\r\n\r\n", .protocolViolation(.malformedStatusLine)),
        ("HTTP/2.0 200 OK\r\n\r\n", .protocolViolation(.malformedStatusLine)),
        ("HTTP/1.1 200 OK\r\nNo colon here\r\nContent-Length: 0\r\n\r\n", .protocolViolation(.malformedHeader)),
        ("HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n", .protocolViolation(.malformedHeader)),
        ("HTTP/1.1 200 OK\r\n X: a\r\nContent-Length: 0\r\n\r\n", .protocolViolation(.malformedHeader)),
        // An obs-fold joins "chunked" to more words: no transfer coding, not a body until close.
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n more\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            .protocolViolation(.unsupportedTransferEncoding)
        ),
        ("HTTP/1.1 200 OK\r\nX: a\r\n fol\u{7}ded\r\nContent-Length: 0\r\n\r\n", .protocolViolation(.malformedHeader)),
        ("HTTP/1.1 200 OK\nContent-Length: 0\n\n", .protocolViolation(.malformedStatusLine)),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\n\r\n", .protocolViolation(.malformedHeader)),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", .protocolViolation(.unsolicitedUpgrade)),
        ("HTTP/1.1 200 OK\r\nX: a\rb\r\nContent-Length: 0\r\n\r\n", .protocolViolation(.malformedHeader)),
        ("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", .protocolViolation(.invalidContentLength)),
        ("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", .protocolViolation(.invalidContentLength)),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            .protocolViolation(.invalidContentLength)
        ),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            .protocolViolation(.invalidContentLength)
        ),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello", .protocolViolation(.invalidContentLength)),
        (
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            .protocolViolation(.conflictingFraming)
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
            .protocolViolation(.unsupportedTransferEncoding)
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            .protocolViolation(.invalidChunk)
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
            .protocolViolation(.invalidChunk)
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
            .protocolViolation(.invalidChunk)
        ),
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n",
            .protocolViolation(.invalidChunk)
        ),
        ("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a little", .protocolViolation(.truncatedBody)),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", .protocolViolation(.truncatedBody)),
        ("HTTP/1.1 200 OK\r\nContent-Le", .connectionClosed),
        ("", .connectionClosed),
    ]

    @Test("Each malformed response fails with its own kind", arguments: 0..<cases.count)
    func malformed(index: Int) async throws {
        let (raw, kind) = MalformedResponseTests.cases[index]
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(raw: raw).policy(.closeAfterResponse))
            let client = HTTPClient()
            let error = await #expect(throws: HTTPClientError.self, "\(raw.debugDescription)") {
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                _ = try await response.body.collect(upTo: 1 << 20)
            }
            #expect(error?.kind == kind, "\(raw.debugDescription): \(String(describing: error))")
            #expect(await client.openConnectionCount == 0)
            await server.shutdown()
        }
    }

    @Test("A response head over the 256 KiB limit is headersTooLarge")
    func oversizedHead() async throws {
        try await withTimeout {
            let server = try await TestServer()
            let huge = String(repeating: "X-Filler: \(String(repeating: "a", count: 1000))\r\n", count: 300)
            server.enqueue(MockResponse(raw: "HTTP/1.1 200 OK\r\n\(huge)\r\n").policy(.closeAfterResponse))
            let client = HTTPClient()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .protocolViolation(.headersTooLarge))
            await server.shutdown()
        }
    }

    @Test("A status line over 8 KiB is malformedStatusLine, before the rest arrives")
    func oversizedStatusLine() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(raw: "HTTP/1.1 200 " + String(repeating: "O", count: 9000)))
            let client = HTTPClient()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .protocolViolation(.malformedStatusLine))
            await server.shutdown()
        }
    }

    @Test("A server that resets mid-body is reported, not a short body")
    func disconnectDuringBody() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(
                MockResponse(body: [UInt8](repeating: 7, count: 100_000)).policy(
                    .disconnectDuringBody(afterBytes: 30_000)))
            let client = HTTPClient()
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            let error = await #expect(throws: HTTPClientError.self) { try await response.body.collect(upTo: 1 << 20) }
            #expect(error?.kind == .protocolViolation(.truncatedBody))
            await server.shutdown()
        }
    }

    @Test("A server that closes without answering is connectionClosed")
    func disconnectAfterRequest() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse().policy(.disconnectAfterRequest))
            let client = HTTPClient()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .connectionClosed)
            await server.shutdown()
        }
    }

    @Test(
        "A response whose final transfer coding is not chunked runs until close, its codings left applied (RFC 9112 §6.3)",
        arguments: ["identity", "gzip", "chunked, deflate", "chunkedchunked"]
    )
    func bodyUntilClose(transferEncoding: String) async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(
                MockResponse(raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: \(transferEncoding)\r\n\r\nraw bytes").policy(
                    .closeAfterResponse))
            server.enqueue(MockResponse(body: "next"))
            let client = HTTPClient()
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(response.headers["Transfer-Encoding"] == transferEncoding)
            #expect(try await response.body.collect(upTo: 1 << 20) == Array("raw bytes".utf8))
            let next = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(try await next.body.collect(upTo: 1 << 20) == Array("next".utf8))
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }
}
