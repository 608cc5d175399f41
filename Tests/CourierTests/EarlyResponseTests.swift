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
}
