import Courier
import CourierTestServer
import Testing

/// A server that answers an upload before reading it and closes: the answer must reach the caller.
@Suite("Early responses to uploads")
struct EarlyResponseTests {
    @Test(
        "A 413 sent before the body was read, then a reset, is the response",
        arguments: [(false, false), (false, true), (true, false), (true, true)]
    )
    func earlyRejection(tls: Bool, streamed: Bool) async throws {
        try await withTimeout {
            let identity = try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity
            let server = try await TestServer(tls: tls ? .init(identity: identity) : nil)
            let client = TLSTests.client()
            server.enqueue(MockResponse(status: HTTPStatus(code: 413), body: "too big").policy(.answerBeforeBody))
            let size = 64 << 20
            let body: HTTPRequest.Body =
                streamed
                ? .stream(
                    AsyncChunks([[UInt8]](repeating: [UInt8](repeating: 7, count: 1 << 20), count: 64)), length: size)
                : .bytes([UInt8](repeating: 7, count: size))
            let response = try await client.send(HTTPRequest(method: .put, url: server.url("/upload"), body: body))
            #expect(response.status.code == 413)
            #expect(try await response.body.string() == "too big")
            #expect(await client.openConnectionCount == 0)
            await server.shutdown()
        }
    }

    /// Only a response known to be whole is an answer: one cut short by the reset, or one whose
    /// end only the close could mark (a reset is no clean end), leaves the write's error.
    @Test(
        "An early response that may be incomplete is not returned: the reset stands",
        arguments: [
            "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 100\r\n\r\nshort",
            "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\nuntil the close",
        ]
    )
    func incompleteEarlyResponse(raw: String) async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(raw: raw).policy(.answerBeforeBody))
            let body = HTTPRequest.Body.bytes([UInt8](repeating: 7, count: 64 << 20))
            let error = await #expect(throws: HTTPClientError.self) {
                try await HTTPClient().send(HTTPRequest(method: .put, url: server.url("/upload"), body: body))
            }
            #expect(error?.kind == .connectionClosed)
            await server.shutdown()
        }
    }
}
