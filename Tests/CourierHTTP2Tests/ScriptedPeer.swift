import CourierCore
import CourierTransport
import FoundationEssentials
import Synchronization

@testable import CourierHTTP2

/// A server that speaks HTTP/2 one frame at a time as a test scripts it, over a real loopback
/// socket: the frame decoder and encoder on the server's side, HPACK both ways.
final class ScriptedPeer: @unchecked Sendable {
    // One test task drives the peer at a time: that is what makes it safe.
    let socket: Socket
    private var buffer = ReceiveBuffer()
    private var decoder = HTTP2FrameDecoder(role: .server)
    private let encoder = HTTP2FrameEncoder()
    private var hpackOut = HPACKEncoder(role: .server)
    private var hpackIn = HPACKDecoder()

    init(socket: Socket) {
        self.socket = socket
    }

    var reactor: Reactor { socket.reactor }

    /// The next frame the client sent; the decoder skips the preface.
    func frame() async throws -> HTTP2Frame {
        try await withTaskExecutorPreference(reactor) {
            while true {
                if let frame = try decoder.nextFrame(from: &buffer) { return frame }
                let count = try await socket.read(into: &buffer, deadline: .now + .seconds(10))
                if count == 0 { throw HTTPClientError(.connectionClosed, "the client closed the connection") }
            }
        }
    }

    /// Frames until one matches, skipping WINDOW_UPDATE, SETTINGS ACK and PING ACK by default.
    func frame(
        where matches: (HTTP2Frame) -> Bool = { _ in true }, skipping skip: (HTTP2Frame) -> Bool = ScriptedPeer.routine
    ) async throws -> HTTP2Frame {
        while true {
            let next = try await frame()
            if matches(next) { return next }
            guard skip(next) else { throw PeerError.unexpected(next) }
        }
    }

    static func routine(_ frame: HTTP2Frame) -> Bool {
        switch frame.payload {
        case .windowUpdate, .settingsAck, .ping(_, ack: true): true
        default: false
        }
    }

    struct PeerError: Error, CustomStringConvertible {
        let description: String
        static func unexpected(_ frame: HTTP2Frame) -> PeerError { PeerError(description: "unexpected \(frame)") }
    }

    /// The client's request HEADERS, decoded.
    func request() async throws -> (stream: UInt32, fields: HTTPHeaders, endStream: Bool) {
        let frame = try await frame { if case .headers = $0.payload { true } else { false } }
        guard case .headers(let block, let endStream, _, _) = frame.payload else { throw PeerError.unexpected(frame) }
        let fields = try block.withUnsafeBytes { try hpackIn.decode($0) }
        return (frame.streamID, fields, endStream)
    }

    func send(_ frames: HTTP2Frame...) async throws {
        try await send(frames)
    }

    func send(_ frames: [HTTP2Frame]) async throws {
        var bytes: [UInt8] = []
        for frame in frames { encoder.encode(frame, into: &bytes) }
        try await withTaskExecutorPreference(reactor) {
            try await socket.write(ByteBuffer(bytes), ByteBuffer(), deadline: .now + .seconds(10))
        }
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await withTaskExecutorPreference(reactor) {
            try await socket.write(ByteBuffer(bytes), ByteBuffer(), deadline: .now + .seconds(10))
        }
    }

    /// A HEADERS frame with `fields` encoded by the server's HPACK encoder.
    func headers(_ fields: [(String, String)], on stream: UInt32, endStream: Bool = false) -> HTTP2Frame {
        var block: [UInt8] = []
        hpackOut.encode(HTTPHeaders(fields), into: &block)
        return HTTP2Frame(streamID: stream, payload: .headers(ByteBuffer(block), endStream: endStream))
    }

    /// Reads the client's preface, SETTINGS and WINDOW_UPDATE, and answers with `settings`.
    func handshake(_ settings: [HTTP2Setting] = []) async throws -> [HTTP2Setting] {
        let first = try await frame()
        guard case .settings(let clientSettings) = first.payload else { throw PeerError.unexpected(first) }
        try await send(
            HTTP2Frame(streamID: 0, payload: .settings(settings)), HTTP2Frame(streamID: 0, payload: .settingsAck))
        return clientSettings
    }

    func close() {
        socket.close()
    }
}

/// A client connection and a scripted server over loopback, the handshake done.
enum PeerPair {
    static func make(
        configuration: HTTP2Configuration = HTTP2Configuration(), serverSettings: [HTTP2Setting] = []
    ) async throws -> (HTTP2Connection, ScriptedPeer, EventLog) {
        let (connection, peer, log) = try await unstarted(configuration: configuration)
        async let started: Void = connection.start(timeout: IOTimeout(.seconds(5)))
        _ = try await peer.handshake(serverSettings)
        try await started
        return (connection, peer, log)
    }

    /// The pair over loopback before the client's `start`: the test drives the handshake.
    static func unstarted(
        configuration: HTTP2Configuration = HTTP2Configuration()
    ) async throws -> (HTTP2Connection, ScriptedPeer, EventLog) {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (client, server) = try await withTaskExecutorPreference(reactor) {
            let listener = try ListeningSocket(host: "127.0.0.1", port: 0, on: reactor)
            defer { listener.close() }
            async let accepted = listener.accept()
            let client = try await Socket.connect(to: listener.address, on: reactor, deadline: .now + .seconds(5))
            return (client, try await accepted)
        }
        let log = EventLog()
        let route = Route(
            address: Address(scheme: "http", host: "127.0.0.1", port: 80),
            socketAddress: ResolvedAddress(ip: "127.0.0.1", port: 80))
        let connection = HTTP2Connection(
            stream: client, route: route, tlsHandshake: nil, configuration: configuration
        ) { _, event in log.append(event) }
        return (connection, ScriptedPeer(socket: server), log)
    }
}

final class EventLog: Sendable {
    private let events = Mutex<[HTTP2ConnectionEvent]>([])
    func append(_ event: HTTP2ConnectionEvent) { events.withLock { $0.append(event) } }
    var all: [HTTP2ConnectionEvent] { events.withLock { $0 } }
}

func get(_ path: String = "/", host: String = "127.0.0.1") -> HTTPRequest {
    HTTPRequest(url: URL(string: "http://\(host)\(path)")!)
}

/// The bound on waits that are expected to succeed: a guard against a hang, not a measure. The
/// parallel suite can leave a task unscheduled for seconds on two cores, so it is well above
/// that, and below `withTimeout`'s 30 s so that a hang still fails with its own error.
let readTimeout = IOTimeout(.seconds(20))

extension HTTP2StreamCodec {
    /// The whole body, read to its end.
    func readAll(timeout: IOTimeout = readTimeout) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while let chunk = try await readResponseBody(timeout: timeout) { bytes += chunk }
        return bytes
    }
}
