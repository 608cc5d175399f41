import Courier
import CourierTestServer
import CourierWebSocket
import Testing

/// The opening handshake is an ordinary call through the client's stack.
@Suite("WebSocket handshake through the client")
struct WebSocketHandshakeTests {
    private struct Tag: Interceptor {
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            var request = request
            request.headers["X-Tag"] = "app"
            return try await chain.proceed(request)
        }
    }

    @Test("wss goes over TLS, with application interceptors, the cookie jar and events")
    func throughTheStack() async throws {
        try await withTimeout(.seconds(20)) {
            let leaf = try HeldCertificate.leaf(issuedBy: TLSTests.authority)
            let server = try await ScriptedWebSocket.server(tls: TestServer.TLS(identity: leaf.identity)) {
                ScriptedWebSocket.text("secure") + ScriptedWebSocket.close(1000)
            }
            defer { Task { await server.shutdown() } }
            let jar = InMemoryCookieJar()
            let events = EventRecorder()
            let client = Transport.http2.client {
                $0.interceptors = [Tag()]
                $0.cookieJar = jar
                $0.eventListener = events
            }
            let url = URL(string: "wss://127.0.0.1:\(server.port)/chat")!
            let origin = URL(string: "https://127.0.0.1/")!
            await jar.save([Cookie.parse("session=abc", from: origin)!], from: origin)
            let socket = try await client.webSocket(HTTPRequest(url: url))
            #expect(socket.response.tlsHandshake != nil)
            #expect(socket.response.version == .http1_1)
            var messages: [WebSocketMessage] = []
            for try await message in socket.messages { messages.append(message) }
            #expect(messages == [.text("secure")])
            let request = try await server.takeRequest()
            #expect(request.path == "/chat")
            #expect(request.headers["X-Tag"] == "app")
            #expect(request.headers["Cookie"] == "session=abc")
            #expect(request.headers["Upgrade"] == "websocket")
            #expect(request.headers["Sec-WebSocket-Version"] == "13")
            #expect(request.headers["Sec-WebSocket-Extensions"] == "permessage-deflate; client_max_window_bits")
            #expect(events.events.contains("secureConnectEnd"))
            #expect(events.events.last == "callEnd")
        }
    }

    @Test("A 401 to the handshake is answered by the authenticator, and the retried handshake opens the socket")
    func authenticated() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await TestServer { request in
                guard request.headers["Authorization"] == "Basic dXNlcjpzZWNyZXQ=" else {
                    return MockResponse(
                        status: HTTPStatus(code: 401), headers: ["WWW-Authenticate": "Basic realm=\"ws\""])
                }
                var response = MockResponse(rawProducer: { writer in
                    try await writer.write(
                        ScriptedWebSocket.switchingProtocols(to: request) + ScriptedWebSocket.text("authorized")
                            + ScriptedWebSocket.close(1000))
                })
                response.socketPolicy = .closeAfterResponse
                return response
            }
            defer { Task { await server.shutdown() } }
            let client = Transport.http1.client {
                $0.authenticator = BasicAuthenticator(username: "user", password: "secret")
            }
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            #expect(socket.response.priorResponse?.status.code == 401)
            var messages: [WebSocketMessage] = []
            for try await message in socket.messages { messages.append(message) }
            #expect(messages == [.text("authorized")])
            #expect(server.requestCount == 2)
        }
    }

    /// Copies the response without what it handed over, as an interceptor that rebuilds responses would.
    private struct Rebuild: Interceptor {
        func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
            let response = try await chain.proceed(request)
            return HTTPResponse(
                status: response.status, headers: response.headers, version: response.version, request: request)
        }
    }

    @Test(
        "An interceptor that replaces the accepting response fails the handshake and frees what it switched",
        arguments: [Transport.http1, .h2c])
    func replacedResponse(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in .webSocketEcho }
            defer { Task { await server.shutdown() } }
            let client = transport.client { $0.interceptors = [Rebuild()] }
            let url = URL(string: "ws://127.0.0.1:\(server.port)/")!
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.webSocket(HTTPRequest(url: url))
            }
            #expect(error?.kind == .webSocketHandshakeFailed)
            #expect(error?.message.contains("an interceptor replaced the response") == true)
            if transport.multiplexes {
                // The stream is reset; the connection goes on serving calls.
                #expect(await eventually { server.http2ErrorFramesReceived.count == 1 })
                #expect(server.http2ErrorFramesReceived == [HTTP2ErrorFrame(.rstStream, streamID: 1, code: .cancel)])
                #expect(await eventually { await client.idleConnectionCount == 1 })
            } else {
                // The upgraded connection left the pool and is closed.
                await server.connectionsClosed()
                #expect(await client.openConnectionCount == 0)
            }
        }
    }

    @Test("A compressed message that inflates past maxMessageSize is 1009")
    func deflateBomb() async throws {
        try await withTimeout(.seconds(20)) {
            let deflate = PerMessageDeflateParameters(
                serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15,
                clientMaxWindowBits: 15)
            let server = try await ScriptedWebSocket.server({
                $0.append(("Sec-WebSocket-Extensions", "permessage-deflate"))
            }) {
                var encoder = WebSocketMessageEncoder(role: .server, deflate: deflate)
                return encoder.encode(.binary([UInt8](repeating: 0, count: 8 << 20)))
            }
            defer { Task { await server.shutdown() } }
            let client = Transport.http1.client { $0.webSocket.maxMessageSize = 1 << 20 }
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            #expect(socket.isCompressed)
            let error = await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
            #expect(error?.kind == .webSocketClosed(code: 1009))
        }
    }

    @Test("A server that stops reading makes send time out, which fails the socket")
    func writeTimeout() async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await ScriptedWebSocket.server(thenClose: false) { [] }
            defer { Task { await server.shutdown() } }
            let client = Transport.http1.client {
                $0.writeTimeout = .milliseconds(300)
                $0.webSocket.compression = false
            }
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            let chunk = WebSocketMessage.binary([UInt8](repeating: 1, count: 1 << 20))
            let error = await #expect(throws: HTTPClientError.self) {
                for _ in 0..<256 { try await socket.send(chunk) }
            }
            #expect(error?.kind == .timeout(.write))
            let ending = await #expect(throws: HTTPClientError.self) {
                for try await _ in socket.messages {}
            }
            #expect(ending?.kind == .timeout(.write))
        }
    }
}
