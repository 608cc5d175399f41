import CourierCore
import CourierTestServer
import CourierWebSocket
import Foundation
import Testing

/// The test server's WebSocket as a real client sees it: Python's `websockets` library (which
/// offers permessage-deflate by default), over TCP and over TLS, plus raw sockets from Python for
/// what a well-behaved client never sends.
/// `make test` runs suites named PythonPeer in an invocation of their own, one test at a time:
/// each starts a Python interpreter, whose start-up CPU would push the parallel suite's
/// time-bounded tests past their bounds, and whose output files would show up in the
/// process-wide suites' descriptor counts.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct PythonPeerWebSocketTests {
    @Test(arguments: WebSocketTransport.allCases)
    func echoesTextBinaryAndPingsWithDeflate(_ transport: WebSocketTransport) async throws {
        try await withWebSocketServer(transport) { server, arguments in
            server.enqueue(.webSocketEcho)
            let result = try await python(
                pythonWebSocketPrelude + """
                    async def main():
                        async with connect() as ws:
                            say("extensions", ws.response_headers.get("Sec-WebSocket-Extensions"))
                            text = "héllo wörld — 𝄞 ✓ 日本語 " * 20
                            await ws.send(text)
                            say("text", await recv(ws) == text)
                            short = "é"
                            await ws.send(short)
                            say("short", await recv(ws) == short)
                            payload = os.urandom(1 << 20)
                            await ws.send(payload)
                            say("binary", await recv(ws) == payload)
                            pong = await ws.ping(b"still there?")
                            await asyncio.wait_for(pong, 10)
                            say("pong", True)
                        say("close", ws.close_code)

                    asyncio.run(main())
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let seen = facts(result)
            #expect(seen["extensions"] == "permessage-deflate")
            #expect(seen["text"] == "True")
            #expect(seen["short"] == "True")
            #expect(seen["binary"] == "True")
            #expect(seen["pong"] == "True")
            #expect(seen["close"] == "1000")
            let request = try await server.takeRequest()
            #expect(request.method == .get)
            #expect(request.path == "/ws")
            #expect(request.headers.values(for: "Upgrade") == ["websocket"])
        }
    }

    @Test func deflateIsDeclinedWhenTheScriptSaysSo() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            let extensions = AsyncStream.makeStream(of: String?.self)
            server.enqueue(
                .webSocket(deflate: false) { socket in
                    extensions.continuation.yield(socket.extensions)
                    try await socket.echo()
                })
            let result = try await python(
                pythonWebSocketPrelude + """
                    async def main():
                        async with connect() as ws:
                            say("extensions", ws.response_headers.get("Sec-WebSocket-Extensions"))
                            await ws.send("plain " * 50)
                            say("echo", await recv(ws) == "plain " * 50)

                    asyncio.run(main())
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["extensions": "None", "echo": "True"])
            let answered = try await withTimeout(.seconds(10)) { await extensions.stream.first { _ in true } }
            #expect(answered == .some(nil))
        }
    }

    @Test func subprotocolIsChosenOnlyWhenOffered() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            for _ in 0..<2 {
                server.enqueue(
                    .webSocket(subprotocol: "chat") { socket in
                        try await socket.send(.text(socket.subprotocol ?? "none"))
                    })
            }
            let result = try await python(
                pythonWebSocketPrelude + """
                    async def main():
                        async with connect(subprotocols=["superchat", "chat"]) as ws:
                            say("offered", f"{ws.subprotocol}/{await recv(ws)}")
                        async with connect() as ws:
                            say("unoffered", f"{ws.subprotocol}/{await recv(ws)}")

                    asyncio.run(main())
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["offered": "chat/chat", "unoffered": "None/none"])
        }
    }

    @Test(arguments: WebSocketTransport.allCases)
    func serverCloseCarriesCodeAndReason(_ transport: WebSocketTransport) async throws {
        try await withWebSocketServer(transport) { server, arguments in
            let afterClose = AsyncStream.makeStream(of: ServerWebSocket.Event?.self)
            server.enqueue(
                .webSocket { socket in
                    try await socket.send(.text("closing soon"))
                    try await socket.close(code: WebSocketCloseCode(rawValue: 4001), reason: "done here")
                    afterClose.continuation.yield(try await socket.receive())
                })
            let result = try await python(
                pythonWebSocketPrelude + """
                    async def main():
                        async with connect() as ws:
                            say("message", await recv(ws))
                            try:
                                await recv(ws)
                            except websockets.ConnectionClosed as closed:
                                say("code", closed.code)
                                say("reason", closed.reason)

                    asyncio.run(main())
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["message": "closing soon", "code": "4001", "reason": "done here"])
            let event = try await withTimeout(.seconds(10)) { await afterClose.stream.first { _ in true } }
            #expect(event == .some(nil))
        }
    }

    /// A close while another task is receiving: whichever of the two reads the client's answer,
    /// the other ends without an error, and the client saw the server's close.
    @Test func closeWhileAnotherTaskReceives() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            let received = AsyncStream.makeStream(of: ServerWebSocket.Event?.self)
            server.enqueue(
                .webSocket { socket in
                    guard case .message? = try await socket.receive() else { return }
                    async let answer = socket.receive()
                    try await socket.close(code: WebSocketCloseCode(rawValue: 4002), reason: "from the side")
                    received.continuation.yield(try await answer)
                })
            let result = try await python(closeCodeAfterSending("go"), arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["code": "4002"])
            let event = try await withTimeout(.seconds(10)) { await received.stream.first { _ in true } }
            let answer = ServerWebSocket.Event.close(code: WebSocketCloseCode(rawValue: 4002), reason: "from the side")
            #expect(event == answer || event == .some(nil))
        }
    }

    /// A session that never receives answers no ping; shutting the server down ends it.
    @Test func aStalledSessionAnswersNothingAndShutdownEndsIt() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            server.enqueue(.webSocket { _ in try await Task.sleep(for: .seconds(3600)) })
            let result = try await python(
                pythonWebSocketPrelude + """
                    async def main():
                        async with connect(close_timeout=1) as ws:
                            pong = await ws.ping()
                            try:
                                await asyncio.wait_for(pong, 0.5)
                                say("pong", True)
                            except asyncio.TimeoutError:
                                say("pong", False)

                    asyncio.run(main())
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["pong": "False"])
            try await withTimeout(.seconds(10)) { await server.closeConnections() }
            #expect(server.openConnectionCount == 0)
        }
    }

    @Test func abortIsAnAbnormalClosure() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            server.enqueue(
                .webSocket { socket in
                    _ = try await socket.receive()
                    socket.abort()
                })
            let result = try await python(closeCodeAfterSending("hi"), arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["code": "1006"])
        }
    }

    @Test func serverPingsAreAnsweredAndAFloodGetsThrough() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            server.enqueue(
                .webSocket { socket in
                    try await socket.ping(Array("are you there".utf8))
                    guard case .pong(let payload)? = try await socket.receive() else { return }
                    for _ in 0..<500 { try await socket.ping() }
                    var pongs = 0
                    while pongs < 500, case .pong? = try await socket.receive() { pongs += 1 }
                    try await socket.send(.text("\(String(decoding: payload, as: UTF8.self)) \(pongs)"))
                })
            let result = try await python(
                pythonWebSocketPrelude + """
                    async def main():
                        async with connect() as ws:
                            say("message", await recv(ws))

                    asyncio.run(main())
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(facts(result) == ["message": "are you there 500"])
        }
    }

    @Test func badHandshakesAreRefusedWithoutUpgrade() async throws {
        try await withWebSocketServer(.ws) { server, _ in
            server.enqueue(.webSocketEcho)
            server.enqueue(.webSocketEcho)
            let upgrade = ["-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-D", "-"]
            let noKey = try await curl(
                upgrade + ["-H", "Sec-WebSocket-Version: 13", server.url("/ws").absoluteString])
            #expect(noKey.exitCode == 0, "\(noKey.stderr)")
            #expect(noKey.stdout.hasPrefix("HTTP/1.1 400 "))
            #expect(noKey.stdout.contains("no Sec-WebSocket-Key"))
            #expect(!noKey.stdout.lowercased().contains("sec-websocket-accept"))
            let oldVersion = try await curl(
                upgrade + [
                    "-H", "Sec-WebSocket-Version: 8", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                    server.url("/ws").absoluteString,
                ])
            #expect(oldVersion.exitCode == 0, "\(oldVersion.stderr)")
            #expect(oldVersion.stdout.hasPrefix("HTTP/1.1 426 "))
            #expect(oldVersion.stdout.contains("Sec-WebSocket-Version: 13\r\n"))
            #expect(!oldVersion.stdout.lowercased().contains("sec-websocket-accept"))
            #expect(try await server.takeRequest().headers["Sec-WebSocket-Version"] == "13")
            #expect(try await server.takeRequest().headers["Sec-WebSocket-Version"] == "8")
        }
    }

    @Test func aPlainHTTP2RequestGetsTheResponsesOwn501() async throws {
        try await withServer(.h2c) { server, arguments in
            server.enqueue(.webSocketEcho)
            let result = try await curl(arguments + ["-w", " %{http_code}", server.url("/ws").absoluteString])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout == "This response answers WebSocket handshakes only. 501")
        }
    }

    /// Frames the client sends right behind its handshake are read from what the server had
    /// already buffered; an unmasked frame then fails the connection with 1002.
    @Test func framesAfterTheHandshakeAreReadAndAnUnmaskedFrameIsAProtocolError() async throws {
        try await withWebSocketServer(.ws) { server, arguments in
            let outcome = AsyncStream.makeStream(of: String.self)
            server.enqueue(
                .webSocket { socket in
                    do {
                        try await socket.echo()
                        outcome.continuation.yield("ended")
                    } catch let error as ServerWebSocketError {
                        outcome.continuation.yield("\(error)")
                    }
                })
            let result = try await python(
                pythonWebSocketPrelude + """
                    from urllib.parse import urlparse
                    url = urlparse(URL)
                    connection = socket.create_connection((url.hostname, url.port), timeout=10)
                    head = (
                        f"GET {url.path} HTTP/1.1\\r\\nHost: {url.netloc}\\r\\nUpgrade: websocket\\r\\n"
                        "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n"
                        "Sec-WebSocket-Version: 13\\r\\n\\r\\n"
                    )
                    key = bytes([1, 2, 3, 4])
                    masked = bytes(b ^ key[i % 4] for i, b in enumerate(b"hello"))
                    connection.sendall(head.encode() + b"\\x81\\x85" + key + masked + b"\\x81\\x02no")
                    data = b""
                    while chunk := connection.recv(65536):
                        data += chunk
                    head, _, frames = data.partition(b"\\r\\n\\r\\n")
                    say("status", head.split(b"\\r\\n")[0].decode())
                    say("accept", b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head)
                    while len(frames) >= 2:
                        length = frames[1] & 0x7F
                        payload = frames[2:2 + length]
                        if frames[0] & 0x0F == 8:
                            say("close", int.from_bytes(payload[:2], "big"))
                        else:
                            say("echo", payload.decode())
                        frames = frames[2 + length:]
                    """, arguments)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(
                facts(result) == [
                    "status": "HTTP/1.1 101 Switching Protocols", "accept": "True", "echo": "hello", "close": "1002",
                ])
            let ending = try await withTimeout(.seconds(10)) { await outcome.stream.first { _ in true } }
            #expect(ending?.contains("(1002)") == true, "\(ending ?? "nothing")")
        }
    }
}

/// A client that sends `text`, then reads until the server closes and reports the close code.
private func closeCodeAfterSending(_ text: String) -> String {
    pythonWebSocketPrelude + """
        async def main():
            async with connect() as ws:
                await ws.send("\(text)")
                try:
                    await recv(ws)
                except websockets.ConnectionClosed as closed:
                    say("code", closed.code)

        asyncio.run(main())
        """
}
