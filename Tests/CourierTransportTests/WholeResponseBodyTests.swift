import CourierCore
import Testing

@testable import CourierTransport

/// A body held whole behaves as a streaming one does at its edges: the bytes once, then the end;
/// given up before its end, an error, never a body that looks complete.
@Suite("A response body held whole")
struct WholeResponseBodyTests {
    @Test("The bytes once, then the end, again and again")
    func bytesThenEnd() async throws {
        let body = WholeResponseBody(ByteBuffer(string: "hello"))
        #expect(try await body.read() == ByteBuffer(string: "hello"))
        #expect(try await body.read() == nil)
        #expect(try await body.read() == nil)
        await body.abandon()
        #expect(try await body.read() == nil, "a body read to its end stays so")
    }

    @Test("An empty body is its end")
    func empty() async throws {
        #expect(try await WholeResponseBody(ByteBuffer()).read() == nil)
    }

    @Test("Abandoned before its end, unread or half read, a read fails", arguments: [false, true])
    func abandoned(afterBytes: Bool) async throws {
        let body = WholeResponseBody(ByteBuffer(string: "hello"))
        if afterBytes { _ = try await body.read() }
        await body.abandon()
        await #expect { try await body.read() } throws: {
            ($0 as? HTTPClientError)?.kind == .bodyAlreadyConsumed
        }
    }
}
