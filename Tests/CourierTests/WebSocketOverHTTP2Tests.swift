import Courier
import CourierTestServer
import Synchronization
import Testing

/// A WebSocket as one stream of an HTTP/2 connection (RFC 8441): what differs from HTTP/1.1's
/// upgrade, where the socket has a connection to itself. The behaviour both share runs over
/// every transport in ``WebSocketTests``.
@Suite("WebSocket over HTTP/2 (RFC 8441)")
struct WebSocketOverHTTP2Tests {
    static let transports: [Transport] = [.http2, .h2c]

    private func url(_ transport: Transport, _ server: TestServer, _ path: String = "/socket") -> URL {
        URL(string: "\(transport.isSecure ? "wss" : "ws")://127.0.0.1:\(server.port)\(path)")!
    }

    /// A server with a WebSocket echo at /socket and "plain" everywhere else.
    private func server(_ transport: Transport, http2: HTTP2Options = HTTP2Options()) async throws -> TestServer {
        try await transport.server(http2: http2) { request in
            request.path == "/socket" ? .webSocketEcho : MockResponse(body: "plain")
        }
    }

    @Test(
        "The socket is one stream: its connection carries other calls meanwhile and stays pooled", arguments: transports
    )
    func sharesTheConnection(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await server(transport)
            defer { Task { await server.shutdown() } }
            let client = transport.client()
            let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
            #expect(socket.response.version == .http2 && socket.response.status.code == 200)
            var iterator = socket.messages.makeAsyncIterator()
            try await socket.send(.text("first"))
            let calls = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await client.send(HTTPRequest(url: server.url("/call"))).body.string() }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(calls == Array(repeating: "plain", count: 8))
            #expect(try await iterator.next() == .text("first"))
            #expect(server.connectionCount == 1)
            #expect(await client.openConnectionCount == 1)
            try await socket.close()
            #expect(try await iterator.next() == nil)
            #expect(try await client.send(HTTPRequest(url: server.url("/after"))).body.string() == "plain")
            #expect(server.connectionCount == 1)
            // A clean close is END_STREAM both ways (RFC 8441 §5): the server saw no reset.
            #expect(server.http2ErrorFramesReceived.isEmpty)
        }
    }

    @Test(
        "Sockets closed or dropped give their streams back: many in turn never reach the stream limit",
        arguments: transports)
    func streamsAreReturned(_ transport: Transport) async throws {
        try await withTimeout(.seconds(30)) {
            var http2 = HTTP2Options()
            http2.maxConcurrentStreams = 3
            let server = try await server(transport, http2: http2)
            defer { Task { await server.shutdown() } }
            let client = transport.client()
            for round in 0..<12 {
                let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
                try await socket.send(.text("round \(round)"))
                var iterator = socket.messages.makeAsyncIterator()
                #expect(try await iterator.next() == .text("round \(round)"))
                if round.isMultiple(of: 2) {
                    try await socket.close()
                    #expect(try await iterator.next() == nil)
                } else {
                    socket.cancel()
                }
            }
            // Each lease goes back to the pool as its socket's stream closes, which a cancelled
            // socket does in the background.
            #expect(await eventually { await client.idleConnectionCount == 1 })
            // Three more at once fill the limit exactly: nothing from the rounds is still held.
            let sockets = try await withThrowingTaskGroup(of: WebSocket.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await client.webSocket(HTTPRequest(url: url(transport, server))) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(sockets.count == 3 && server.connectionCount == 1)
            for socket in sockets { try await socket.close() }
        }
    }

    @Test("A message far larger than the stream's flow-control windows goes both ways", arguments: transports)
    func flowControl(_ transport: Transport) async throws {
        try await withTimeout(.seconds(30)) {
            var http2 = HTTP2Options()
            http2.initialWindowSize = 16_384
            let server = try await server(transport, http2: http2)
            defer { Task { await server.shutdown() } }
            let client = transport.client { $0.webSocket.compression = false }
            let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
            let large = WebSocketMessage.binary((0..<(512 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            try await socket.send(large)
            var iterator = socket.messages.makeAsyncIterator()
            #expect(try await iterator.next() == large)
            try await socket.close()
        }
    }

    @Test(
        "A server that did not enable extended CONNECT is asked again over HTTP/1.1, and later WebSockets to it go there at once"
    )
    func fallsBackToHTTP1() async throws {
        try await withTimeout(.seconds(20)) {
            var http2 = HTTP2Options()
            http2.enablesConnectProtocol = false
            let server = try await server(.http2, http2: http2)
            defer { Task { await server.shutdown() } }
            let events = EventRecorder()
            let client = Transport.http2.client { $0.eventListener = events }
            let socket = try await client.webSocket(HTTPRequest(url: url(.http2, server)))
            #expect(socket.response.version == .http1_1 && socket.response.status.code == 101)
            try await socket.send(.text("over http/1.1"))
            var iterator = socket.messages.makeAsyncIterator()
            #expect(try await iterator.next() == .text("over http/1.1"))
            try await socket.close()
            // The HTTP/2 connection sent nothing for the socket; the upgrade went on a second one.
            let handshake = try await server.takeRequest()
            #expect(handshake.version == .http1_1 && handshake.headers["Upgrade"] == "websocket")
            #expect(server.requestCount == 1 && server.connectionCount == 2)
            #expect(events.events.filter { $0 == "callStart" }.count == 2)
            // The client remembers: no call over HTTP/2 first, so no failed call in the events.
            let again = try await client.with { _ in }.webSocket(HTTPRequest(url: url(.http2, server)))
            #expect(again.response.version == .http1_1)
            try await again.close()
            #expect(events.events.filter { $0 == "callStart" }.count == 3)
            #expect(events.events.filter { $0 == "callFailed" }.count == 1)
        }
    }

    @Test("Only HTTP/2 allowed and no extended CONNECT: .webSocketHandshakeFailed without a response")
    func noFallbackWithoutHTTP1() async throws {
        try await withTimeout(.seconds(20)) {
            var http2 = HTTP2Options()
            http2.enablesConnectProtocol = false
            let server = try await server(.h2c, http2: http2)
            defer { Task { await server.shutdown() } }
            let error = await #expect(throws: HTTPClientError.self) {
                try await Transport.h2c.client().webSocket(HTTPRequest(url: url(.h2c, server)))
            }
            #expect(error?.kind == .webSocketHandshakeFailed && error?.response == nil)
            #expect(error?.message.contains("SETTINGS_ENABLE_CONNECT_PROTOCOL") == true)
            #expect(server.requestCount == 0)
        }
    }

    @Test("A plain HTTP/2 request for the handshake gets its response, carried by the error")
    func notAWebSocket() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await Transport.h2c.server { _ in MockResponse(status: .notFound, body: "no socket") }
            defer { Task { await server.shutdown() } }
            let client = Transport.h2c.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.webSocket(HTTPRequest(url: url(.h2c, server)))
            }
            #expect(error?.kind == .webSocketHandshakeFailed)
            #expect(error?.response?.status.code == 404 && error?.response?.version == .http2)
            #expect(try await client.send(HTTPRequest(url: server.url("/next"))).status.code == 404)
            #expect(server.connectionCount == 1)
        }
    }

    @Test("Cancelling the reader resets the socket's stream alone", arguments: transports)
    func cancelResetsTheStream(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await server(transport)
            defer { Task { await server.shutdown() } }
            let client = transport.client()
            let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
            let reader = Task { for try await _ in socket.messages {} }
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            #expect(await eventually { server.http2ErrorFramesReceived.count == 1 })
            #expect(server.http2ErrorFramesReceived == [HTTP2ErrorFrame(.rstStream, streamID: 1, code: .cancel)])
            #expect(try await client.send(HTTPRequest(url: server.url("/after"))).body.string() == "plain")
            #expect(server.connectionCount == 1)
        }
    }

    @Test("A server that aborts resets the stream: 1006 on the socket, the connection lives on", arguments: transports)
    func serverAbort(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { request in
                request.path == "/socket" ? .webSocket { $0.abort() } : MockResponse(body: "plain")
            }
            defer { Task { await server.shutdown() } }
            let client = transport.client()
            let socket = try await client.webSocket(HTTPRequest(url: url(transport, server)))
            let error = await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
            #expect(error?.closeCode == .abnormalClosure)
            #expect(try await client.send(HTTPRequest(url: server.url("/after"))).body.string() == "plain")
            #expect(server.connectionCount == 1)
        }
    }

    @Test("The server's close code and reason reach the client over a stream", arguments: transports)
    func serverCloseCode(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in
                .webSocket { try await $0.close(code: WebSocketCloseCode(rawValue: 4001), reason: "go away") }
            }
            defer { Task { await server.shutdown() } }
            let socket = try await transport.client().webSocket(HTTPRequest(url: url(transport, server)))
            let error = await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
            #expect(error?.kind == .webSocketClosed(code: 4001) && error?.closeReason == "go away")
        }
    }
}
