import CourierCore
import CourierTestServer
import CourierTransport
import Synchronization
import Testing

@testable import CourierHTTP2

/// Frame-level behaviour of the test server's HTTP/2 that curl cannot show: a plain socket
/// speaks h2c with prior knowledge and checks the frames the server sends back.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct HTTP2FrameLevelTests {
    /// A client connection that writes raw bytes and reads decoded frames, with a deadline.
    final class RawClient: Sendable {
        let socket: Socket
        private let state = Mutex(
            (buffer: ReceiveBuffer(), decoder: HTTP2FrameDecoder(role: .client(pushEnabled: false))))

        init(port: Int) async throws {
            let reactor = try ReactorGroup.shared.nextReactor()
            socket = try await withTaskExecutorPreference(reactor) {
                try await Socket.connect(
                    to: SocketAddress(numericHost: "127.0.0.1", port: port)!, on: reactor, deadline: .now + .seconds(5))
            }
        }

        func send(_ bytes: [UInt8]) async throws {
            try await withTaskExecutorPreference(socket.reactor) {
                try await socket.write(ByteBuffer(bytes), ByteBuffer(), deadline: .now + .seconds(5))
            }
        }

        /// The next frame, or nil at end of stream; fails after 5 seconds.
        func nextFrame() async throws -> HTTP2Frame? {
            let deadline = ContinuousClock.now + .seconds(5)
            while true {
                let frame = try state.withLock { state in try state.decoder.nextFrame(from: &state.buffer) }
                if let frame { return frame }
                var buffer = state.withLock { state in
                    defer { state.buffer = ReceiveBuffer() }
                    return state.buffer
                }
                let count = try await withTaskExecutorPreference(socket.reactor) {
                    try await socket.read(into: &buffer, deadline: deadline)
                }
                state.withLock { $0.buffer = buffer }
                if count == 0 { return nil }
            }
        }

        /// Frames until one matches, skipping the others.
        func frame(where matches: (HTTP2Frame) -> Bool) async throws -> HTTP2Frame? {
            while let frame = try await nextFrame() {
                if matches(frame) { return frame }
            }
            return nil
        }

        func close() {
            socket.close()
        }
    }

    private static let clientSettings = HTTP2RawFrame.settings([]).bytes

    @Test
    func serverSendsItsSettingsAndAcknowledgesTheClients() async throws {
        var options = HTTP2Options()
        options.maxConcurrentStreams = 7
        options.initialWindowSize = 1 << 20
        options.maxFrameSize = 32_768
        let server = try await TestServer(protocols: [.http2], http2: options)
        let client = try await RawClient(port: server.port)
        try await client.send(HTTP2ConnectionPreface.bytes + Self.clientSettings)
        let settings = try await client.nextFrame()
        #expect(
            settings?.payload
                == .settings([
                    .maxConcurrentStreams(7), .initialWindowSize(1 << 20), .maxFrameSize(32_768),
                    .headerTableSize(4096), .maxHeaderListSize(256 << 10), .enableConnectProtocol(true),
                ]))
        #expect(try await client.nextFrame()?.payload == .settingsAck)
        try await client.send(HTTP2RawFrame.ping(0x0123_4567_89AB_CDEF).bytes)
        #expect(try await client.nextFrame()?.payload == .ping(0x0123_4567_89AB_CDEF, ack: true))
        client.close()
        await server.shutdown()
    }

    @Test
    func windowPastTheLimitEndsTheConnectionWithFlowControlError() async throws {
        let server = try await TestServer(protocols: [.http2])
        let client = try await RawClient(port: server.port)
        try await client.send(
            HTTP2ConnectionPreface.bytes + Self.clientSettings
                + HTTP2RawFrame.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF).bytes)
        let goAway = try await client.frame { $0.type == .goAway }
        guard case .goAway(let lastStreamID, let code, _) = goAway?.payload else {
            Issue.record("no GOAWAY: \(String(describing: goAway))")
            return
        }
        #expect(lastStreamID == 0)
        #expect(code == .flowControlError)
        #expect(try await client.nextFrame() == nil)
        client.close()
        await server.shutdown()
    }

    @Test
    func decoderErrorsBecomeGoAwayWithTheirCode() async throws {
        let server = try await TestServer(protocols: [.http2])
        let client = try await RawClient(port: server.port)
        // A CONTINUATION with no header block open is a PROTOCOL_ERROR (RFC 9113 §6.10).
        try await client.send(
            HTTP2ConnectionPreface.bytes + Self.clientSettings
                + HTTP2RawFrame.continuation(streamID: 1, fragment: [], endHeaders: true).bytes)
        let goAway = try await client.frame { $0.type == .goAway }
        guard case .goAway(_, let code, _) = goAway?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .protocolError)
        client.close()
        await server.shutdown()
    }

    @Test
    func withheldWindowUpdatesStallAnUploadAtTheWindow() async throws {
        var options = HTTP2Options()
        options.sendsWindowUpdates = false
        options.initialWindowSize = 1000
        let server = try await TestServer(protocols: [.http2], http2: options)
        let client = try await RawClient(port: server.port)
        let request = HTTP2RawFrame.headers(
            streamID: 1, fields: [(":method", "POST"), (":scheme", "http"), (":path", "/up"), (":authority", "x")])
        try await client.send(
            HTTP2ConnectionPreface.bytes + Self.clientSettings + HTTP2RawFrame.settings([], ack: true).bytes
                + request.bytes + HTTP2RawFrame.data(streamID: 1, [UInt8](repeating: 7, count: 1000)).bytes)
        // A DATA frame past the stream's window of 1000 is answered with RST_STREAM.
        try await client.send(HTTP2RawFrame.data(streamID: 1, [1], endStream: true).bytes)
        let reset = try await client.frame { $0.type == .rstStream || $0.type == .windowUpdate }
        #expect(reset == HTTP2Frame(streamID: 1, payload: .rstStream(.flowControlError)))
        client.close()
        await server.shutdown()
    }

    @Test
    func resetStreamEndsOnlyThatStream() async throws {
        let server = try await TestServer(protocols: [.http2]) { request in
            if request.path == "/slow" { try? await Task.sleep(for: .seconds(30)) }
            return MockResponse(body: "fine")
        }
        let client = try await RawClient(port: server.port)
        func get(_ stream: UInt32, _ path: String) -> [UInt8] {
            HTTP2RawFrame.headers(
                streamID: stream, fields: [(":method", "GET"), (":scheme", "http"), (":path", path)], endStream: true
            ).bytes
        }
        try await client.send(HTTP2ConnectionPreface.bytes + Self.clientSettings + get(1, "/slow"))
        try await client.send(HTTP2RawFrame.rstStream(streamID: 1, code: .cancel).bytes + get(3, "/fast"))
        let data = try await client.frame { $0.type == .data && $0.streamID == 3 }
        #expect(data?.payload == .data(ByteBuffer(string: "fine"), endStream: false))
        #expect(server.requestCount == 2)
        client.close()
        await server.shutdown()
    }

    @Test(
        "A :protocol the server did not enable, or without CONNECT, resets the stream with PROTOCOL_ERROR",
        arguments: [(false, "CONNECT"), (true, "GET")])
    func malformedExtendedConnectIsReset(enabled: Bool, method: String) async throws {
        var options = HTTP2Options()
        options.enablesConnectProtocol = enabled
        let server = try await TestServer(protocols: [.http2], http2: options)
        server.enqueue(.webSocketEcho)
        let client = try await RawClient(port: server.port)
        let request = HTTP2RawFrame.headers(
            streamID: 1,
            fields: [
                (":method", method), (":protocol", "websocket"), (":scheme", "http"), (":path", "/ws"),
                (":authority", "x"), ("sec-websocket-version", "13"),
            ], endStream: false)
        try await client.send(
            HTTP2ConnectionPreface.bytes + Self.clientSettings + HTTP2RawFrame.settings([], ack: true).bytes
                + request.bytes)
        let reset = try await client.frame { $0.streamID == 1 }
        #expect(reset?.payload == .rstStream(.protocolError))
        #expect(server.requestCount == 0)
        client.close()
        await server.shutdown()
    }
}
