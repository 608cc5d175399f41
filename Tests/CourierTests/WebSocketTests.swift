import Courier
import CourierTestServer
import Synchronization
import Testing

/// The client against CourierTestServer's WebSocket: HTTP/1.1's upgrade in the clear and over
/// TLS, and HTTP/2's extended CONNECT (RFC 8441) over TLS and h2c.
@Suite("WebSocket with the test server")
struct WebSocketTests {
    static let transports = Transport.allCases

    private func server(_ transport: Transport, _ response: MockResponse) async throws -> TestServer {
        try await transport.server { _ in response }
    }

    private func url(_ transport: Transport, _ server: TestServer) -> URL {
        URL(string: "\(transport.isSecure ? "wss" : "ws")://127.0.0.1:\(server.port)/socket")!
    }

    @Test("Messages echo both ways, compressed, and closing is a clean handshake", arguments: transports)
    func echo(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await server(transport, .webSocketEcho)
            defer { Task { await server.shutdown() } }
            let socket = try await transport.client().webSocket(HTTPRequest(url: url(transport, server)))
            #expect(socket.isCompressed)
            var iterator = socket.messages.makeAsyncIterator()
            let messages: [WebSocketMessage] = [
                .text("hello"), .text(String(repeating: "compressible ", count: 4096)),
                .binary((0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 7) }),
            ]
            for message in messages {
                try await socket.send(message)
                #expect(try await iterator.next() == message)
            }
            try await socket.close(code: .normalClosure, reason: "bye")
            #expect(try await iterator.next() == nil)
            #expect(socket.response.version == transport.version)
            let handshake = try await server.takeRequest()
            if transport.multiplexes {
                #expect(handshake.method == .connect && handshake.connectProtocol == "websocket")
                #expect(handshake.headers["Sec-WebSocket-Key"] == nil && handshake.headers["Upgrade"] == nil)
            } else {
                #expect(handshake.method == .get && handshake.headers["Upgrade"] == "websocket")
            }
        }
    }

    @Test("The client's close code and reason reach the server", arguments: transports)
    func clientClose(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let seen = Mutex<ServerWebSocket.Event?>(nil)
            let (ended, end) = AsyncStream<Void>.makeStream()
            let server = try await server(
                transport,
                .webSocket { socket in
                    defer { end.yield() }
                    while let event = try await socket.receive() {
                        if case .close = event { seen.withLock { $0 = event } }
                    }
                })
            defer { Task { await server.shutdown() } }
            let socket = try await transport.client().webSocket(HTTPRequest(url: url(transport, server)))
            try await socket.close(code: WebSocketCloseCode(rawValue: 4321), reason: "done")
            // The session, not the connection, ends: over HTTP/2 the connection stays pooled.
            for await _ in ended { break }
            #expect(seen.withLock { $0 } == .close(code: WebSocketCloseCode(rawValue: 4321), reason: "done"))
        }
    }

    @Test("A socket dropped right after the server's close still sends its close reply", arguments: transports)
    func droppedAfterServerClose(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let replies = Mutex<[ServerWebSocket.Event]>([])
            let (ended, end) = AsyncStream<Void>.makeStream()
            let server = try await server(
                transport,
                .webSocket { socket in
                    defer { end.yield() }
                    try await socket.sendRaw(ScriptedWebSocket.close(1000, "done"))
                    if let event = try await socket.receive() { replies.withLock { $0.append(event) } }
                })
            defer { Task { await server.shutdown() } }
            let client = transport.client()
            for _ in 0..<10 {
                let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
                for try await _ in socket.messages {}
            }
            var endings = 0
            for await _ in ended {
                endings += 1
                if endings == 10 { break }
            }
            #expect(replies.withLock { $0 } == Array(repeating: .close(code: .normalClosure, reason: ""), count: 10))
        }
    }

    @Test("Pings go out at pingInterval and the server's pongs keep the socket open", arguments: transports)
    func pings(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let pings = Mutex(0)
            let server = try await server(
                transport,
                .webSocket { socket in
                    while let event = try await socket.receive() {
                        guard case .ping = event else { continue }
                        let count = pings.withLock { count in
                            count += 1
                            return count
                        }
                        if count == 2 { try await socket.send(.text("two pings")) }
                    }
                })
            defer { Task { await server.shutdown() } }
            // Generous: a pong that misses the next ping fails the socket, and the parallel suite
            // (the cache conformance run, proxies, 64-way loads) can hold both cores for a second.
            let client = transport.client { $0.pingInterval = .seconds(2) }
            let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
            var iterator = socket.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("two pings"))
            try await socket.close()
        }
    }

    @Test("A subprotocol is chosen only from those offered", arguments: transports)
    func subprotocol(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await server(transport, .webSocket(subprotocol: "v2.chat") { try await $0.echo() })
            defer { Task { await server.shutdown() } }
            var request = HTTPRequest(url: url(transport, server))
            request.headers["Sec-WebSocket-Protocol"] = "v1.chat, v2.chat"
            let offered = try await transport.client().webSocket(request)
            #expect(offered.subprotocol == "v2.chat")
            try await offered.close()
            let plain = try await transport.client().webSocket(HTTPRequest(url: url(transport, server)))
            #expect(plain.subprotocol == nil)
            try await plain.close()
        }
    }

    @Test("A close code that must not be sent is refused; nothing can be sent after close")
    func closeRules() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await server(.http1, .webSocketEcho)
            defer { Task { await server.shutdown() } }
            let socket = try await Transport.http1.client().webSocket(HTTPRequest(url: url(.http1, server)))
            let refused = await #expect(throws: HTTPClientError.self) {
                try await socket.close(code: .noStatusReceived, reason: "")
            }
            #expect(refused?.kind == .invalidRequest)
            try await socket.close()
            let late = await #expect(throws: HTTPClientError.self) { try await socket.send(.text("late")) }
            #expect(late?.kind == .connectionClosed)
        }
    }

    @Test("An open WebSocket holds no dispatcher slot")
    func dispatcherSlot() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await server(.http1, .webSocketEcho)
            defer { Task { await server.shutdown() } }
            let client = Transport.http1.client { $0.maxRequestsPerHost = 1 }
            let first = try await client.webSocket(HTTPRequest(url: url(.http1, server)))
            let second = try await client.webSocket(HTTPRequest(url: url(.http1, server)))
            #expect(await client.dispatcher.runningCallsCount == 0)
            try await first.close()
            try await second.close()
        }
    }
}
