import Courier
import CourierTestServer
import CourierTransport
import Synchronization
import Testing

/// Hostile HTTP/2 servers, end to end through `HTTPClient`, over TLS (ALPN h2) and h2c: every
/// call ends in one precise `HTTPClientError`, with what the client buffers bounded, and a
/// connection the server broke is closed on both sides. A timeout is shown to have waited for
/// its limit and to be the one that fired (its kind); how soon after, the suite's parallel load
/// decides, so no test bounds it beyond its own time limit.
///
/// Every script that floods is capped, so that with the client's protection taken away the test
/// fails by its time limit rather than by exhausting memory.
@Suite("HTTP/2: hostile servers")
struct HTTP2HostileServerTests {
    static let transports: [Transport] = [.http2, .h2c]

    /// The most any flooding script sends before it gives up: far more than any of the client's
    /// bounds, so reaching it means the client did not stop the flood.
    static let floodCap = 64 << 20

    // MARK: Header blocks

    @Test(
        "A CONTINUATION flood ends the connection at the header block bound (ENHANCE_YOUR_CALM): .headersTooLarge",
        arguments: transports, [0, 16_384])
    func continuationFlood(transport: Transport, fragmentSize: Int) async throws {
        try await withTimeout(.seconds(20)) {
            let sent = ByteCount()
            let server = try await transport.server { _ in
                MockResponse().http2(
                    .frames { writer in
                        try await writer.write(
                            .headers(streamID: writer.streamID, fields: [(":status", "200")], endHeaders: false))
                        let frame = HTTP2RawFrame.continuation(
                            streamID: writer.streamID, fragment: [UInt8](repeating: 0x41, count: fragmentSize),
                            endHeaders: false
                        ).bytes
                        // Empty fragments still cost their 9-octet frame header against the bound. About
                        // 64 KiB per write either way: few round trips on a loaded machine.
                        let batch = Array([[UInt8]](repeating: frame, count: fragmentSize == 0 ? 8192 : 4).joined())
                        while sent.value < HTTP2HostileServerTests.floodCap {
                            try await writer.write(bytes: batch)
                            sent.add(batch.count)
                        }
                    })
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.headersTooLarge), "\(String(describing: error))")
            try await expectClosed(client, server, goAway: .enhanceYourCalm)
            // The client closed the connection long before the script's cap: the rest never left
            // the socket buffers.
            #expect(sent.value < HTTP2HostileServerTests.floodCap / 2, "sent \(sent.value)")
            await client.shutdown()
            await server.shutdown()
        }
    }

    /// A header block that decodes to far more than it weighs: one 4000-octet field entered in
    /// the dynamic table, then referenced by its one-octet index 10 000 times (40 MB decoded from
    /// 14 KB).
    static let hpackBomb: [UInt8] = {
        var block: [UInt8] = [0x88]  // :status 200 (static index 8)
        // Literal with incremental indexing, new name "x", a value of 4000 octets:
        // 4000 = 127 + 3873, and 3873 = 30 * 128 + 33.
        block += [0x40, 0x01, UInt8(ascii: "x"), 0x7F, 0x80 | 33, 30]
        block += [UInt8](repeating: UInt8(ascii: "a"), count: 4000)
        block += [UInt8](repeating: 0xBE, count: 10_000)  // indexed: dynamic entry 62
        return block
    }()

    @Test("An HPACK bomb fails the call with .headersTooLarge and closes the connection", arguments: transports)
    func hpackBomb(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in
                MockResponse().http2(
                    .frames { writer in
                        try await writer.write(
                            HTTP2RawFrame(
                                type: 0x1, flags: 0x4, streamID: writer.streamID,
                                payload: HTTP2HostileServerTests.hpackBomb))
                    })
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.headersTooLarge), "\(String(describing: error))")
            try await expectClosed(client, server, goAway: .compressionError)
            await client.shutdown()
            await server.shutdown()
        }
    }

    /// 300 000 octets of one header value: `h` (6 bits in Huffman code) makes a block that passes
    /// the 256 KiB block bound and decodes past the header list bound, so decoding stops midway
    /// and the HPACK context is lost (COMPRESSION_ERROR); `~` (13 bits, so sent as it is) makes a
    /// block past the block bound itself (ENHANCE_YOUR_CALM, before any of it is decoded).
    @Test(
        "A response header list larger than SETTINGS_MAX_HEADER_LIST_SIZE fails with .headersTooLarge",
        arguments: transports, ["h", "~"])
    func oversizedHeaderList(transport: Transport, character: String) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in
                MockResponse(headers: ["x-huge": String(repeating: character, count: 300_000)], body: "never")
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.headersTooLarge), "\(String(describing: error))")
            try await expectClosed(client, server, goAway: character == "h" ? .compressionError : .enhanceYourCalm)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test(
        "A header block that does not decode is COMPRESSION_ERROR: .protocolViolation(.headerCompression)",
        arguments: transports)
    func undecodableHeaderBlock(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in
                MockResponse().http2(
                    .frames { writer in
                        // Index 0 does not exist (RFC 7541 §6.1).
                        try await writer.write(
                            HTTP2RawFrame(type: 0x1, flags: 0x4, streamID: writer.streamID, payload: [0x88, 0x80]))
                    })
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.headerCompression), "\(String(describing: error))")
            try await expectClosed(client, server, goAway: .compressionError)
            await client.shutdown()
            await server.shutdown()
        }
    }

    // MARK: Control frame floods

    enum Flood: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case settings = "SETTINGS"
        case ping = "PING"
        case emptyData = "empty DATA"
        case rstStream = "RST_STREAM"

        var testDescription: String { rawValue }

        func frame(on streamID: UInt32) -> HTTP2RawFrame {
            switch self {
            case .settings: .settings([])
            case .ping: .ping(0x0102_0304_0506_0708)
            case .emptyData: .data(streamID: streamID, [])
            // On a stream the client closed long ago and forgot: ignored, but counted.
            case .rstStream: .rstStream(streamID: 1, code: .cancel)
            }
        }
    }

    @Test(
        "A flood of control frames ends the connection with ENHANCE_YOUR_CALM; the call fails precisely",
        arguments: transports, Flood.allCases)
    func controlFrameFlood(transport: Transport, flood: Flood) async throws {
        try await withTimeout(.seconds(20)) {
            let sent = ByteCount()
            let server = try await transport.server { request in
                guard request.target == "/flood" else { return MockResponse(body: "warm") }
                return MockResponse().http2(
                    .frames { writer in
                        if flood == .emptyData {
                            try await writer.write(.headers(streamID: writer.streamID, fields: [(":status", "200")]))
                        }
                        // More than the limit in each write: the rule counts frames per second,
                        // and a machine loaded enough to space small writes a second apart would
                        // otherwise see no flood.
                        let batch = Array(
                            [[UInt8]](repeating: flood.frame(on: writer.streamID).bytes, count: 1_100).joined())
                        while sent.value < HTTP2HostileServerTests.floodCap {
                            try await writer.write(bytes: batch)
                            sent.add(batch.count)
                        }
                    })
            }
            let client = transport.client()
            // Stream 1 first, so that RST_STREAM on it is a frame for a stream the client forgot.
            #expect(try await client.send(HTTPRequest(url: server.url("/warm"))).body.string() == "warm")
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/flood"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.http2Protocol), "\(String(describing: error))")
            #expect(error?.message.contains("more than 1000 SETTINGS, PING, RST_STREAM or empty DATA frames") == true)
            try await expectClosed(client, server, goAway: .enhanceYourCalm)
            #expect(sent.value < HTTP2HostileServerTests.floodCap / 2, "sent \(sent.value)")
            await client.shutdown()
            await server.shutdown()
        }
    }

    // MARK: Flow control

    @Test(
        "A WINDOW_UPDATE past 2^31-1 on the connection is FLOW_CONTROL_ERROR: GOAWAY, the connection closes",
        arguments: transports)
    func connectionWindowOverflow(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in
                MockResponse().http2(
                    .frames { writer in
                        try await writer.write(.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF))
                    })
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.http2Protocol), "\(String(describing: error))")
            #expect(error?.message.contains("the connection's window past 2^31-1") == true)
            try await expectClosed(client, server, goAway: .flowControlError)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test(
        "A WINDOW_UPDATE past 2^31-1 on a stream is FLOW_CONTROL_ERROR: RST_STREAM, the connection lives",
        arguments: transports)
    func streamWindowOverflow(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let reset = ByteCount()
            let server = try await transport.server { request in
                guard request.target == "/overflow" else { return MockResponse(body: "after") }
                return MockResponse().http2(
                    .frames { writer in
                        try await writer.write(.windowUpdate(streamID: writer.streamID, increment: 0x7FFF_FFFF))
                        // The client's RST_STREAM cancels this responder.
                        do {
                            try await Task.sleep(for: .seconds(60))
                        } catch {
                            reset.add(1)
                        }
                    })
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/overflow"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.http2Protocol), "\(String(describing: error))")
            #expect(error?.message.contains("stream 1's window past 2^31-1") == true)
            #expect(await eventually { reset.value == 1 }, "the server saw the stream reset")
            #expect(
                server.http2ErrorFramesReceived == [HTTP2ErrorFrame(.rstStream, streamID: 1, code: .flowControlError)])
            // Only the stream failed: the next call goes over the same connection.
            #expect(try await client.send(HTTPRequest(url: server.url("/next"))).body.string() == "after")
            #expect(server.connectionCount == 1)
            #expect(server.openConnectionCount == 1)
            #expect(await client.openConnectionCount == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test(
        "An upload that never gets window fails with .timeout(.write) at writeTimeout; the connection lives",
        arguments: transports)
    func uploadWithoutWindow(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            var http2 = HTTP2Options()
            http2.sendsWindowUpdates = false
            let server = try await transport.server(http2: http2) { _ in MockResponse(body: "ok") }
            let client = transport.client { $0.writeTimeout = .milliseconds(500) }
            // Four times the 65 535 octets both windows allow.
            let upload = HTTPRequest(
                method: .post, url: server.url("/upload"), body: .bytes([UInt8](repeating: 7, count: 256 << 10)))
            let started = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(upload).body.string() }
            let elapsed = ContinuousClock.now - started
            #expect(error?.kind == .timeout(.write), "\(String(describing: error))")
            #expect(elapsed >= .milliseconds(500), "\(elapsed)")
            #expect(await eventually { server.http2ErrorFramesReceived.count == 1 })
            #expect(server.http2ErrorFramesReceived == [HTTP2ErrorFrame(.rstStream, streamID: 1, code: .cancel)])
            // A GET needs no window: it goes over the same connection, and the upload was never
            // complete, so it is the only request recorded.
            #expect(try await client.send(HTTPRequest(url: server.url("/after"))).body.string() == "ok")
            #expect(server.requestCount == 1)
            #expect(server.connectionCount == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    // MARK: Servers that stop

    @Test(
        "A server that answers nothing fails the call with .timeout(.read) at readTimeout; the connection lives",
        arguments: transports)
    func noResponse(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { request in
                request.target == "/silent" ? MockResponse().http2(.noResponse) : MockResponse(body: "ok")
            }
            let client = transport.client { $0.readTimeout = .milliseconds(500) }
            let started = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/silent"))).body.string()
            }
            let elapsed = ContinuousClock.now - started
            #expect(error?.kind == .timeout(.read), "\(String(describing: error))")
            #expect(elapsed >= .milliseconds(500), "\(elapsed)")
            #expect(await eventually { server.http2ErrorFramesReceived.count == 1 })
            #expect(server.http2ErrorFramesReceived == [HTTP2ErrorFrame(.rstStream, streamID: 1, code: .cancel)])
            // Over the same pool, with room for a loaded machine.
            let relaxed = client.with { $0.readTimeout = .seconds(10) }
            #expect(try await relaxed.send(HTTPRequest(url: server.url("/after"))).body.string() == "ok")
            #expect(server.connectionCount == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test(
        "A server that stops reading: an upload fails with .timeout(.write), a GET with .timeout(.read)",
        arguments: transports)
    func serverStopsReading(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await DeafHTTP2Server(tls: transport.isSecure)
            let client = transport.client {
                $0.writeTimeout = .seconds(1)
                $0.readTimeout = .seconds(1)
            }
            let scheme = transport.isSecure ? "https" : "http"
            let url = URL(string: "\(scheme)://127.0.0.1:\(server.port)/")!
            // Far more than the socket buffers hold: the windows are wide open, the socket is not.
            let upload = HTTPRequest(method: .post, url: url, body: .bytes([UInt8](repeating: 7, count: 64 << 20)))
            var started = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(upload).body.string() }
            var elapsed = ContinuousClock.now - started
            #expect(error?.kind == .timeout(.write), "\(String(describing: error))")
            #expect(elapsed >= .seconds(1), "\(elapsed)")
            // The socket took nothing for writeTimeout: the connection is dead, and closed, so
            // that the next call does not wait on it.
            #expect(await eventually { await client.openConnectionCount == 0 })
            #expect(server.acceptedCount == 1)

            started = ContinuousClock.now
            let second = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: url)).body.string()
            }
            elapsed = ContinuousClock.now - started
            #expect(second?.kind == .timeout(.read), "\(String(describing: second))")
            #expect(elapsed >= .seconds(1), "\(elapsed)")
            #expect(server.acceptedCount == 2, "the GET went over a new connection")
            await client.shutdown()
            await server.stop()
        }
    }

    // MARK: SETTINGS

    @Test("A SETTINGS ACK held back for seconds does not hold up calls", arguments: transports)
    func delayedSettingsAck(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            var http2 = HTTP2Options()
            // Past the test's own limit: calls that waited for the ACK fail the test.
            http2.settingsAckDelay = .seconds(60)
            let server = try await transport.server(http2: http2) { _ in MockResponse(body: "ok") }
            let client = transport.client()
            for _ in 0..<3 {
                #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "ok")
            }
            #expect(server.connectionCount == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test(
        "A server that never sends SETTINGS fails the call with .timeout(.connect) at connectTimeout",
        arguments: transports)
    func neverSendsSettings(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            var http2 = HTTP2Options()
            http2.isSilent = true
            let server = try await transport.server(http2: http2) { _ in MockResponse(body: "never") }
            // Two seconds, so that a TLS handshake slowed by a loaded machine still fits in it:
            // the time-out must be the wait for SETTINGS, as its message says.
            let client = transport.client { $0.connectTimeout = .seconds(2) }
            let started = ContinuousClock.now
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            let elapsed = ContinuousClock.now - started
            #expect(error?.kind == .timeout(.connect), "\(String(describing: error))")
            #expect(error?.message.contains("did not send its HTTP/2 SETTINGS in time") == true)
            #expect(elapsed >= .seconds(2), "\(elapsed)")
            #expect(server.connectionCount == 1)
            try await expectClosed(client, server, goAway: .noError)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test(
        "A connect kept for a second waiter after its creator's callTimeout ends at the waiter's own connectTimeout",
        arguments: transports)
    func keptConnectOutlivesCreatorsDeadline(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            var http2 = HTTP2Options()
            http2.isSilent = true
            let server = try await transport.server(http2: http2) { _ in MockResponse(body: "never") }
            // A second of callTimeout, so that the second call joins the connect well before it.
            let client = transport.client { $0.connectTimeout = .seconds(3) }
            let hurried = client.with { $0.callTimeout = .seconds(1) }
            let creator = Task { try await hurried.send(HTTPRequest(url: server.url("/a"))) }
            while await client.pool.waitingCount < 1 { await Task.yield() }
            let started = ContinuousClock.now
            let waiter = Task { try await client.send(HTTPRequest(url: server.url("/b"))) }
            let creatorError = await #expect(throws: HTTPClientError.self) { try await creator.value }
            #expect(creatorError?.kind == .timeout(.call))
            let error = await #expect(throws: HTTPClientError.self) { try await waiter.value }
            #expect(error?.kind == .timeout(.connect), "\(String(describing: error))")
            #expect(ContinuousClock.now - started >= .seconds(2))
            #expect(server.connectionCount == 1)
            await client.shutdown()
            await server.shutdown()
        }
    }

    @Test("A cancelled reader of a body that arrived whole gets CancellationError, not the rest", arguments: transports)
    func cancelledWholeBody(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { _ in
                MockResponse().http2(
                    .frames { writer in
                        // The head and 20 DATA frames in one write: the body is whole before the
                        // caller reads any of it.
                        var bytes = HTTP2RawFrame.headers(streamID: writer.streamID, fields: [(":status", "200")]).bytes
                        for index in 0..<20 {
                            bytes +=
                                HTTP2RawFrame.data(
                                    streamID: writer.streamID, [UInt8](repeating: 0x61, count: 16_384),
                                    endStream: index == 19
                                ).bytes
                        }
                        try await writer.write(bytes: bytes)
                    })
            }
            let client = transport.client()
            let reader = Task {
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                withUnsafeCurrentTask { $0?.cancel() }
                while try await iterator.next() != nil {}
            }
            await #expect(throws: CancellationError.self) { try await reader.value }
            await client.shutdown()
            await server.shutdown()
        }
    }

    // MARK: Push

    @Test(
        "PUSH_PROMISE (push is disabled) is PROTOCOL_ERROR: the call fails, the connection closes",
        arguments: transports)
    func pushPromise(transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            let server = try await transport.server { request in
                MockResponse().http2(
                    .frames { writer in
                        try await writer.write(
                            .pushPromise(
                                streamID: writer.streamID, promisedStreamID: 2,
                                fields: [
                                    (":method", "GET"), (":scheme", "https"), (":authority", "127.0.0.1"),
                                    (":path", "/pushed"),
                                ]))
                        try await writer.write(
                            .headers(streamID: writer.streamID, fields: [(":status", "200")], endStream: true))
                    })
            }
            let client = transport.client()
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            }
            #expect(error?.kind == .protocolViolation(.http2Protocol), "\(String(describing: error))")
            #expect(error?.message.contains("PUSH_PROMISE") == true, "\(String(describing: error))")
            try await expectClosed(client, server, goAway: .protocolError)
            await client.shutdown()
            await server.shutdown()
        }
    }

    // MARK: Support

    /// Neither side holds the connection any more, and the client said why with GOAWAY(`code`).
    private func expectClosed(
        _ client: HTTPClient, _ server: TestServer, goAway code: HTTP2Policy.ErrorCode,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(await eventually { await client.openConnectionCount == 0 }, "client", sourceLocation: sourceLocation)
        #expect(await eventually { server.openConnectionCount == 0 }, "server", sourceLocation: sourceLocation)
        // The server's connection has ended, so it has read whatever reached it. The GOAWAY is
        // best effort: the client closes at once, and a close with unread bytes in the socket
        // (the hostile server goes on sending) makes the kernel send RST, which may overtake it.
        // So: the GOAWAY, if it came, carries this code, and nothing else came.
        let frames = server.http2ErrorFramesReceived
        #expect(
            frames.allSatisfy { $0 == HTTP2ErrorFrame(.goAway, code: code) }, "\(frames)",
            sourceLocation: sourceLocation)
    }
}

/// True once `condition` holds, polling for at most `limit`: the pool hears of a closed
/// connection on a task of its own, a moment after the call failed.
func eventually(_ limit: Duration = .seconds(10), _ condition: () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// A number several tasks add to.
final class ByteCount: Sendable {
    private let count = Atomic<Int>(0)
    func add(_ amount: Int) { count.wrappingAdd(amount, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// An HTTP/2 server (h2 over TLS, or h2c) that opens every window as wide as RFC 9113 allows
/// (SETTINGS_INITIAL_WINDOW_SIZE and the connection window 2^31-1) and then never reads again:
/// the client's socket fills while flow control lets it send.
final class DeafHTTP2Server: Sendable {
    let port: Int
    private let accepted = AcceptedStreams()
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(tls: Bool) async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let listener = try await withTaskExecutorPreference(reactor) {
            try ListeningSocket(host: "127.0.0.1", port: 0, on: reactor)
        }
        self.port = listener.address.port
        let context =
            try tls
            ? TLSContext(
                server: HeldCertificate.leaf(issuedBy: TLSTests.authority).identity, clientRoots: nil,
                applicationProtocols: ["h2"]) : nil
        let opening =
            HTTP2RawFrame.settings([(identifier: 0x4, value: 0x7FFF_FFFF)]).bytes
            + HTTP2RawFrame.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF - 65_535).bytes
        let work = Task(executorPreference: reactor) { [accepted] in
            // Only the accepting task closes the listener (see `ListeningSocket.close()`).
            defer { listener.close() }
            while let socket = try? await listener.accept() {
                do {
                    let stream: any ByteStream
                    if let context {
                        let tls = try TLSStream(socket: socket, context: context)
                        try await tls.accept(deadline: .now + .seconds(5))
                        stream = tls
                    } else {
                        stream = socket
                    }
                    accepted.list.withLock { $0.append(stream) }
                    try await stream.write(ByteBuffer(opening), ByteBuffer(), deadline: .now + .seconds(5))
                } catch {
                    socket.close()
                }
            }
        }
        task.withLock { $0 = work }
    }

    /// Connections accepted (and opened) so far.
    var acceptedCount: Int { accepted.list.withLock { $0.count } }

    func stop() async {
        let work = task.withLock { $0 }
        work?.cancel()
        await work?.value
        for stream in accepted.list.withLock({ $0 }) { stream.close() }
    }
}

/// The connections a ``DeafHTTP2Server`` holds open, closed when it stops.
final class AcceptedStreams: Sendable {
    let list = Mutex<[any ByteStream]>([])
}
