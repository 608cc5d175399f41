import CourierCore
import CourierHTTP2
import CourierTransport
import CourierWebSocket

/// One accepted connection of the test server: reads requests, records them, writes the
/// scripted responses. Its task is pinned to the socket's reactor; the handler is called off it.
///
/// `@unchecked Sendable` is safe because only the connection's own task touches its state; the
/// instance is sent once, to that task.
final class ServerConnection: @unchecked Sendable {
    /// Request bodies larger than this are drained and not recorded in full.
    private static let maxRecordedBody = 16 << 20

    private let socket: Socket
    /// The socket, or TLS over it once the handshake is done.
    private(set) var stream: any ByteStream
    private let index: Int
    private unowned let server: TestServer
    /// Bytes read and not yet parsed: after a WebSocket handshake, the client's first frames.
    private(set) var buffer = ReceiveBuffer()
    private var sequenceNumber = 0

    init(socket: Socket, index: Int, server: TestServer) {
        self.socket = socket
        self.stream = socket
        self.index = index
        self.server = server
    }

    func run() async {
        defer { stream.close() }
        if server.takeResponseIfDisconnectAtStart() { return }
        do {
            if let context = server.tlsContext {
                let tls = try TLSStream(socket: socket, context: context)
                stream = tls
                try await tls.accept(deadline: .now + .seconds(10))
            }
            if try await speaksHTTP2() {
                await HTTP2ServerConnection(stream: stream, index: index, server: server).run(buffer: buffer)
                return
            }
            while let head = try await readHead() {
                guard case .request(let method, let target) = head.startLine else { return }
                if let early = server.takeResponseIfAnswerBeforeBody() {
                    _ = try await respond(early, to: record(method, target, head, body: []))
                    return
                }
                if head.headers.containsToken("100-continue", in: "Expect") {
                    switch server.expectContinueBehaviour() {
                    case .sendContinue:
                        try await stream.write(ByteBuffer(string: "HTTP/1.1 100 Continue\r\n\r\n"), deadline: nil)
                    case .ignore:
                        break
                    case .finalResponse:
                        let request = record(method, target, head, body: [])
                        _ = try await respond(
                            await server.response(to: request).policy(.closeAfterResponse), to: request)
                        return
                    }
                }
                let request = record(method, target, head, body: try await readBody(head))
                let staysOpen =
                    if let chaos = server.chaos {
                        try await ChaosResponder(chaos: chaos, socket: socket, stream: stream).respond(to: request)
                    } else {
                        try await respond(await server.response(to: request), to: request)
                    }
                guard staysOpen else { return }
            }
        } catch {
            return
        }
    }

    /// Whether the connection is HTTP/2: `h2` chosen by ALPN, or over cleartext, when the server
    /// allows HTTP/2, a client that opens with the preface (h2c with prior knowledge). Reads
    /// only as far as it takes to tell; what it read stays in the buffer for either protocol.
    private func speaksHTTP2() async throws -> Bool {
        guard server.protocols.contains(.http2) else { return false }
        if let tls = stream as? TLSStream { return tls.applicationProtocol == "h2" }
        let preface = HTTP2ConnectionPreface.bytes
        while true {
            let seen = buffer.withReadableBytes { Array($0.prefix(preface.count)) }
            guard seen.elementsEqual(preface.prefix(seen.count)) else { return false }
            if seen.count == preface.count { return true }
            if try await stream.read(into: &buffer, deadline: nil) == 0 { return false }
        }
    }

    private func record(_ method: HTTPMethod, _ target: String, _ head: HTTP1Head, body: [UInt8]) -> RecordedRequest {
        defer { sequenceNumber += 1 }
        let request = RecordedRequest(
            method: method,
            target: target,
            version: head.version,
            headers: head.headers,
            body: body,
            sequenceNumber: sequenceNumber,
            connectionIndex: index
        )
        server.record(request)
        return request
    }

    /// The next request head, or nil when the client closed the connection between requests.
    private func readHead() async throws -> HTTP1Head? {
        var parser = HTTP1HeadParser(role: .request)
        let head: HTTP1Head
        while true {
            if let (parsed, used) = try buffer.withReadableBytes({ (bytes) throws(HTTPClientError) in
                try parser.parse(bytes)
            }) {
                buffer.skip(used)
                head = parsed
                break
            }
            let unread = buffer.readableCount
            if try await stream.read(into: &buffer, deadline: nil) == 0 {
                if unread == 0 { return nil }
                throw HTTPClientError(.connectionClosed, "The client closed the connection mid-request.")
            }
        }
        return head
    }

    /// The request body, recorded up to `maxRecordedBody` bytes and drained beyond.
    private func readBody(_ head: HTTP1Head) async throws -> [UInt8] {
        var decoder = HTTP1BodyDecoder(framing: try HTTP1Framing.request(head))
        var body: [UInt8] = []
        while true {
            switch try decoder.next(&buffer) {
            case .data(let chunk):
                if body.count < ServerConnection.maxRecordedBody { body.append(contentsOf: chunk) }
                continue
            case .end:
                break
            case .needMore:
                if try await stream.read(into: &buffer, deadline: nil) == 0 { try decoder.endOfStream() }
                continue
            }
            break
        }
        return body
    }

    /// Writes the response as scripted; returns whether the connection stays open.
    private func respond(_ response: MockResponse, to request: RecordedRequest) async throws -> Bool {
        if let script = response.webSocket {
            let key: WebSocketKey
            do {
                key = try ServerWebSocketHandshake.validate(
                    method: request.method, version: request.version, headers: request.headers)
            } catch {
                return try await respond(
                    MockResponse(status: error.status, headers: error.headers, body: error.reason), to: request)
            }
            try await upgrade(request, key: key, headers: response.headers, script: script)
            return false
        }
        switch response.socketPolicy {
        case .disconnectAfterRequest, .disconnectAtStart:
            return false
        case .answerBeforeBody:
            break
        case .noResponse:
            try await Task.sleep(for: .seconds(86_400))
            return false
        case .keepOpen, .closeAfterResponse, .disconnectDuringBody, .stallAfterHead, .shutdownOutputAtEnd,
            .finWithoutCloseNotify, .renegotiateAfterResponse:
            break
        }
        if let raw = response.raw {
            try await stream.write(ByteBuffer(raw), deadline: nil)
            return try await end(
                shuttingDown: shutDownOutput(for: response.socketPolicy), closing: response.socketPolicy != .keepOpen)
        }
        if let producer = response.rawProducer {
            let (stream, reactor) = (self.stream, self.stream.reactor)
            let sink = BodyWriter { chunk in
                try await withTaskExecutorPreference(reactor) { try await stream.write(chunk, deadline: nil) }
            }
            try await withTaskExecutorPreference(globalConcurrentExecutor) { try await producer(sink) }
            return try await end(
                shuttingDown: shutDownOutput(for: response.socketPolicy), closing: response.socketPolicy != .keepOpen)
        }
        var headers = response.headers
        let hasBody = request.method != .head && response.status.code != 204 && response.status.code != 304
        let chunked: Bool
        switch response.body {
        case .bytes(let bytes):
            chunked = response.chunkSize != nil
            if chunked {
                headers["Transfer-Encoding"] = "chunked"
            } else if !headers.contains("Content-Length") && (hasBody || !bytes.isEmpty) {
                headers["Content-Length"] = String(bytes.count)
            }
        case .stream(let length, _):
            chunked = length == nil || response.chunkSize != nil
            if chunked {
                headers["Transfer-Encoding"] = "chunked"
            } else if let length, !headers.contains("Content-Length") {
                headers["Content-Length"] = String(length)
            }
        }
        if (response.socketPolicy == .closeAfterResponse || response.socketPolicy == .answerBeforeBody)
            && !headers.contains("Connection")
        {
            headers["Connection"] = "close"
        }
        var writer = BodyFramer(
            stream: stream, chunked: chunked, chunkSize: response.chunkSize, throttle: response.throttle)
        if case .disconnectDuringBody(let limit) = response.socketPolicy { writer.disconnectAfter = limit }
        try await stream.write(
            try HTTP1Serializer.responseHead(status: response.status, headers: headers), deadline: nil)
        if response.socketPolicy == .stallAfterHead {
            try await Task.sleep(for: .seconds(86_400))
            return false
        }
        if hasBody {
            switch response.body {
            case .bytes(let bytes):
                try await writer.write(ByteBuffer(bytes))
            case .stream(_, let producer):
                let reactor = stream.reactor
                let sink = BodyWriter { [writer = UncheckedBox(writer)] chunk in
                    try await withTaskExecutorPreference(reactor) { try await writer.value.write(chunk) }
                }
                try await withTaskExecutorPreference(globalConcurrentExecutor) { try await producer(sink) }
            }
            try await writer.finish(trailers: response.trailers)
        }
        if response.socketPolicy == .renegotiateAfterResponse && !headers.containsToken("close", in: "Connection") {
            guard let tls = stream as? TLSStream else { return false }
            return try await tls.requestRenegotiation(deadline: .now + .seconds(10))
        }
        let closes =
            response.socketPolicy != .keepOpen
            || headers.containsToken("close", in: "Connection")
        return try await end(shuttingDown: shutDownOutput(for: response.socketPolicy), closing: closes)
    }

    /// Shuts the sending side as `policy` says, at once: synchronous, so that nothing can run
    /// between the response's last byte and its FIN (a test relies on the client seeing both).
    /// Returns whether it did.
    private func shutDownOutput(for policy: MockResponse.SocketPolicy) -> Bool {
        switch policy {
        case .shutdownOutputAtEnd:
            stream.shutdownOutput()
        case .finWithoutCloseNotify:
            socket.shutdownOutput()
        default:
            return false
        }
        return true
    }

    /// Ends a response; returns whether the connection stays open. After a shutdown it keeps
    /// reading until the client gives up on the connection.
    private func end(shuttingDown: Bool, closing: Bool) async throws -> Bool {
        guard shuttingDown else { return !closing }
        while try await stream.read(into: &buffer, deadline: nil) > 0 { buffer.skip(buffer.readableCount) }
        return false
    }
}

/// Hands the connection's body framer to the producer's writes, which the producer makes one
/// at a time on the connection's reactor; that serialisation makes the unchecked send safe.
private final class UncheckedBox<Value>: @unchecked Sendable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }
}
