import Courier
import CourierTestServer
import Testing

extension ProcessWide {
    /// The client against a WebSocket server that is not ours: Python's `websockets`. Process-wide
    /// (one test at a time) because each test starts a Python interpreter, whose start-up CPU would
    /// push the parallel suite's time-bounded tests past their bounds.
    @Suite("WebSocket against Python's websockets", .serialized)
    struct WebSocketInteropTests {
        private func withServer(_ body: @escaping @Sendable (PythonWebSocketServer) async throws -> Void) async throws {
            try await withTimeout(.seconds(30)) {
                let server = try await PythonWebSocketServer()
                do {
                    try await body(server)
                } catch {
                    await server.stop()
                    throw error
                }
                await server.stop()
            }
        }

        @Test(
            "Text and binary messages echo back, compressed, and a normal close ends the messages",
            arguments: [true, false])
        func echo(compression: Bool) async throws {
            try await withServer { server in
                let client = HTTPClient(
                    configuration: Transport.http1.configuration { $0.webSocket.compression = compression })
                let socket = try await client.webSocket(HTTPRequest(url: server.url("/echo")))
                #expect(socket.response.status.code == 101)
                #expect(socket.isCompressed == compression)
                let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
                let sent: [WebSocketMessage] = [
                    .text("hello"), .text("héllo wörld ✓ 🚀"), .binary([0, 1, 2, 255]), .binary(big),
                ]
                var received: [WebSocketMessage] = []
                var iterator = socket.messages.makeAsyncIterator()
                for message in sent {
                    try await socket.send(message)
                    received.append(try #require(try await iterator.next()))
                }
                #expect(received == sent)
                try await socket.close(code: .normalClosure, reason: "bye")
                #expect(try await iterator.next() == nil)
            }
        }

        @Test("The subprotocol the server chose from the offer is readable")
        func subprotocol() async throws {
            try await withServer { server in
                var request = HTTPRequest(url: server.url("/echo"))
                request.headers["Sec-WebSocket-Protocol"] = "superchat, chat"
                let socket = try await HTTPClient().webSocket(request)
                #expect(socket.subprotocol == "chat")
                try await socket.close()
            }
        }

        @Test("A server's close with 4001 \"go away\" is an error carrying the code and the reason")
        func serverClose() async throws {
            try await withServer { server in
                let socket = try await HTTPClient().webSocket(HTTPRequest(url: server.url("/close4001")))
                let error = await #expect(throws: HTTPClientError.self) {
                    for try await _ in socket.messages {}
                }
                #expect(error?.kind == .webSocketClosed(code: 4001))
                #expect(error?.closeReason == "go away")
                #expect(error?.closeCode == WebSocketCloseCode(rawValue: 4001))
            }
        }

        @Test("A connection dropped without a close frame is 1006")
        func dropped() async throws {
            try await withServer { server in
                let socket = try await HTTPClient().webSocket(HTTPRequest(url: server.url("/drop")))
                let error = await #expect(throws: HTTPClientError.self) {
                    for try await _ in socket.messages {}
                }
                #expect(error?.kind == .webSocketClosed(code: 1006))
            }
        }

        @Test("A refused handshake is .webSocketHandshakeFailed carrying the server's response")
        func refused() async throws {
            try await withServer { server in
                let error = await #expect(throws: HTTPClientError.self) {
                    try await HTTPClient().webSocket(HTTPRequest(url: server.url("/missing")))
                }
                #expect(error?.kind == .webSocketHandshakeFailed)
                #expect(error?.response?.status.code == 404)
            }
        }
    }
}
