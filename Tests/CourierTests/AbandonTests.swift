import Courier
import CourierTestServer
import Testing

/// `abandon()` from another task stops a read in flight instead of waiting for it.
@Suite("Abandoning a body")
struct AbandonTests {
    @Test(
        "Abandoning a body while another task waits in a read ends that read at once; HTTP/2 keeps the connection",
        arguments: Transport.main)
    func abandonDuringRead(transport: Transport) async throws {
        try await withTimeout {
            let (server, client) = try await ProcessWide.RelentlessServerTests.endpoints(
                transport, { $0.readTimeout = .seconds(60) }
            ) {
                MockResponse(length: 100) { writer in
                    try await writer.write(Array("first".utf8))
                    try await Task.sleep(for: .seconds(3600))
                }
            }
            // Several rounds: the abandon must usually find the second read already waiting, the
            // case that matters (abandoning an idle body worked before too).
            for _ in 0..<5 {
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                let (started, signal) = AsyncStream.makeStream(of: Void.self)
                let reader = Task {
                    var iterator = response.body.makeAsyncIterator()
                    _ = try await iterator.next()
                    signal.yield()
                    _ = try await iterator.next()
                }
                for await _ in started { break }
                await response.body.source?.abandon()
                // The abandon's own error: the read was woken, not ended by its 60 s timeout.
                let error = await #expect(throws: HTTPClientError.self) { try await reader.value }
                #expect(error?.kind == .bodyAlreadyConsumed)
                // An HTTP/1.1 connection with unread bytes is closed; an HTTP/2 stream is reset.
                #expect(await client.openConnectionCount == (transport.multiplexes ? 1 : 0))
            }
            await server.shutdown()
        }
    }
}
