import Courier
import CourierTestServer
import Synchronization
import Testing

@Suite("WebSocket back-pressure")
struct WebSocketBackPressureTests {
    @Test("A consumer that falls behind stops the socket being read, and the server's writes stall")
    func slowConsumer() async throws {
        try await withTimeout(.seconds(30)) {
            let count = 1024
            let size = 64 << 10
            let written = Atomic<Int>(0)
            let server = try await TestServer { request in
                var response = MockResponse(rawProducer: { writer in
                    try await writer.write(ScriptedWebSocket.switchingProtocols(to: request))
                    let frame = ScriptedWebSocket.frame(0x2, [UInt8](repeating: 1, count: size))
                    for _ in 0..<count {
                        try await writer.write(frame)
                        written.add(size, ordering: .relaxed)
                    }
                    try await writer.write(ScriptedWebSocket.close(1000))
                })
                response.socketPolicy = .closeAfterResponse
                return response
            }
            defer { Task { await server.shutdown() } }
            let client = HTTPClient(
                configuration: Transport.http1.configuration {
                    $0.webSocket.compression = false
                    $0.webSocket.maxBufferedBytes = 1 << 20
                })
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            // Nothing is read: the server gets as far as the kernel's socket buffers let it.
            var last = -1
            var steady = 0
            while steady < 5 {
                try await Task.sleep(for: .milliseconds(50))
                let now = written.load(ordering: .relaxed)
                steady = now == last ? steady + 1 : 0
                last = now
            }
            #expect(last < count * size / 3, "the server wrote \(last) bytes to a socket nobody read")
            var received = 0
            for try await message in socket.messages {
                if case .binary(let bytes) = message, bytes.count == size { received += 1 }
            }
            #expect(received == count)
        }
    }

    @Test("A consumer that falls behind for several ping intervals does not fail a live connection")
    func pingsWaitForTheConsumer() async throws {
        try await withTimeout(.seconds(30)) {
            let count = 256
            let size = 64 << 10
            let server = try await TestServer { _ in
                .webSocket(deflate: false) { socket in
                    // Sends while answering pings; ends at the client's close frame.
                    async let sent: Void = {
                        for _ in 0..<count { try await socket.send(.binary([UInt8](repeating: 2, count: size))) }
                    }()
                    while try await socket.receive() != nil {}
                    try await sent
                }
            }
            defer { Task { await server.shutdown() } }
            // Not shorter: a pong, or the reader's next read, can take hundreds of milliseconds
            // when the parallel suite holds both cores, and that would be a timeout rightly.
            let interval = Duration.seconds(1)
            let client = HTTPClient(
                configuration: Transport.http1.configuration {
                    $0.webSocket.maxBufferedBytes = 1 << 20
                    $0.pingInterval = interval
                })
            let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
            var iterator = socket.messages.makeAsyncIterator()
            // Once the first message is in, the server is sending: 16 MiB fill the inbox and the
            // sockets' buffers long before this ends, and the reader is held back for three ticks
            // of the ping timer, which must not count it against the peer.
            guard case .binary? = try await iterator.next() else {
                Issue.record("no first message")
                return
            }
            try await Task.sleep(for: interval * 3)
            var received = 1
            while received < count, case .binary(let bytes)? = try await iterator.next() {
                #expect(bytes.count == size)
                received += 1
            }
            #expect(received == count)
            try await socket.close()
        }
    }
}
