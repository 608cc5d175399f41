import Courier
import CourierTestServer
import Testing

/// What the client does with a server that breaks RFC 6455: each failure is an
/// `HTTPClientError` with the close code the RFC prescribes.
@Suite("WebSocket failures")
struct WebSocketFailureTests {
    /// The error `messages` ends with, from a server that sends `frames` after its 101.
    private func failure(
        configure: @escaping @Sendable (inout HTTPClient.Configuration) -> Void = { _ in },
        _ frames: @escaping @Sendable () -> [UInt8]
    ) async throws -> HTTPClientError? {
        try await withTimeout(.seconds(20)) {
            let server = try await ScriptedWebSocket.server(frames: frames)
            defer { Task { await server.shutdown() } }
            let client = HTTPClient(configuration: Transport.http1.configuration(configure))
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            return await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
        }
    }

    @Test("Text that is not UTF-8 is 1007")
    func invalidUTF8() async throws {
        let error = try await failure { ScriptedWebSocket.frame(0x1, [0x68, 0x69, 0xC3, 0x28]) }
        #expect(error?.kind == .webSocketClosed(code: 1007))
    }

    @Test("Invalid UTF-8 fails the socket when its octet arrives, not when the frame is complete")
    func invalidUTF8MidFrame() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await TestServer { request in
                MockResponse(rawProducer: { writer in
                    // A 12-octet text frame of which 5 arrive, the fifth not UTF-8; the rest never does.
                    let start = ScriptedWebSocket.frame(
                        0x1, Array("abcd".utf8) + [0xFF] + [UInt8](repeating: 0x61, count: 7))
                    try await writer.write(ScriptedWebSocket.switchingProtocols(to: request) + start.prefix(2 + 5))
                    try await Task.sleep(for: .seconds(30))
                })
            }
            defer { Task { await server.shutdown() } }
            let socket = try await HTTPClient().webSocket(HTTPRequest(url: server.url("/")))
            let error = await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
            #expect(error?.kind == .webSocketClosed(code: 1007))
        }
    }

    @Test("Reserved bits no extension allows are 1002")
    func reservedBits() async throws {
        let error = try await failure { ScriptedWebSocket.frame(0x1, Array("hi".utf8), rsv: 0x20) }
        #expect(error?.kind == .webSocketClosed(code: 1002))
    }

    @Test("A compressed frame when compression was not negotiated is 1002")
    func compressedWithoutDeflate() async throws {
        let error = try await failure { ScriptedWebSocket.frame(0x1, Array("hi".utf8), rsv: 0x40) }
        #expect(error?.kind == .webSocketClosed(code: 1002))
    }

    @Test("A masked frame from the server is 1002")
    func maskedFrame() async throws {
        let error = try await failure { ScriptedWebSocket.frame(0x2, [1, 2, 3], masked: true) }
        #expect(error?.kind == .webSocketClosed(code: 1002))
    }

    @Test("A reserved opcode is 1002")
    func reservedOpcode() async throws {
        let error = try await failure { ScriptedWebSocket.frame(0x3, []) }
        #expect(error?.kind == .webSocketClosed(code: 1002))
    }

    @Test("A continuation with no message open is 1002")
    func strayContinuation() async throws {
        let error = try await failure { ScriptedWebSocket.frame(0x0, [1]) }
        #expect(error?.kind == .webSocketClosed(code: 1002))
    }

    @Test("A message over maxMessageSize is 1009")
    func tooBig() async throws {
        let error = try await failure(configure: { $0.webSocket.maxMessageSize = 1024 }) {
            ScriptedWebSocket.frame(0x2, [UInt8](repeating: 7, count: 600), fin: false)
                + ScriptedWebSocket.frame(0x0, [UInt8](repeating: 7, count: 600))
        }
        #expect(error?.kind == .webSocketClosed(code: 1009))
    }

    @Test("A close frame with a code that must not be sent is 1002")
    func invalidCloseCode() async throws {
        let error = try await failure { ScriptedWebSocket.close(1005) }
        #expect(error?.kind == .webSocketClosed(code: 1002))
    }

    @Test("A connection that ends without a close frame is 1006")
    func noCloseFrame() async throws {
        let error = try await failure { ScriptedWebSocket.text("almost") }
        #expect(error?.kind == .webSocketClosed(code: 1006))
    }

    @Test("The server's close code and reason reach the caller")
    func serverCloseCode() async throws {
        let error = try await failure { ScriptedWebSocket.close(4001, "go away") }
        #expect(error?.kind == .webSocketClosed(code: 4001))
        #expect(error?.closeReason == "go away")
    }

    @Test("Frames sent with the 101, in the same write, are the first messages; a 1000 close ends them")
    func framesWithThe101() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await ScriptedWebSocket.server {
                ScriptedWebSocket.text("one") + ScriptedWebSocket.frame(0x1, Array("t".utf8), fin: false)
                    + ScriptedWebSocket.frame(0x9, Array("ping".utf8)) + ScriptedWebSocket.frame(0x0, Array("wo".utf8))
                    + ScriptedWebSocket.close(1000)
            }
            defer { Task { await server.shutdown() } }
            let socket = try await HTTPClient().webSocket(HTTPRequest(url: server.url("/")))
            var messages: [WebSocketMessage] = []
            for try await message in socket.messages { messages.append(message) }
            #expect(messages == [.text("one"), .text("two")])
        }
    }

    @Test("Messages before a bad frame can still be answered: the failure waits for the consumer")
    func answeredBeforeFailure() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await ScriptedWebSocket.server {
                ScriptedWebSocket.text("first") + ScriptedWebSocket.frame(0x1, Array("x".utf8), rsv: 0x20)
            }
            defer { Task { await server.shutdown() } }
            let socket = try await HTTPClient().webSocket(HTTPRequest(url: server.url("/")))
            var iterator = socket.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("first"))
            try await socket.send(.text("answer"))
            let error = await #expect(throws: HTTPClientError.self) { try await iterator.next() }
            #expect(error?.kind == .webSocketClosed(code: 1002))
        }
    }

    @Test("A handshake answer that fails RFC 6455's checks is .webSocketHandshakeFailed", arguments: 0..<4)
    func badHandshake(_ variant: Int) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await ScriptedWebSocket.server({ headers in
                switch variant {
                case 0: headers[2].1 = "d3Jvbmcgd3Jvbmcgd3Jvbmc="  // not our key's accept value
                case 1: headers.remove(at: 0)  // no Upgrade
                case 2: headers.append(("Sec-WebSocket-Protocol", "chat"))  // never offered
                default: headers.append(("Sec-WebSocket-Extensions", "permessage-deflate"))  // compression is off
                }
            }) { [] }
            defer { Task { await server.shutdown() } }
            let client = HTTPClient(configuration: Transport.http1.configuration { $0.webSocket.compression = false })
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.webSocket(HTTPRequest(url: server.url("/")))
            }
            #expect(error?.kind == .webSocketHandshakeFailed)
            #expect(error?.response?.status.code == 101)
        }
    }

    @Test("A peer that does not answer pings fails the socket with .timeout(.read)")
    func pingTimeout() async throws {
        try await withTimeout(.seconds(20)) {
            // Sends nothing after its 101 but the pings of a server that never reads.
            let server = try await ScriptedWebSocket.server(thenClose: false) { [] }
            defer { Task { await server.shutdown() } }
            let client = HTTPClient(
                configuration: Transport.http1.configuration { $0.pingInterval = .milliseconds(100) })
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            let error = await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
            #expect(error?.kind == .timeout(.read))
        }
    }

    @Test("Cancelling the task that reads ends the socket at once and closes its connection")
    func cancelReader() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await ScriptedWebSocket.server(thenClose: false) { [] }
            defer { Task { await server.shutdown() } }
            let socket = try await HTTPClient().webSocket(HTTPRequest(url: server.url("/")))
            let reader = Task { for try await _ in socket.messages {} }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            await server.connectionsClosed()
            #expect(server.openConnectionCount == 0)
        }
    }
}
