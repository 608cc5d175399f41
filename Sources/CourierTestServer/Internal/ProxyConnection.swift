import CourierCore
import CourierTransport
import FoundationEssentials

/// One client connection of ``TestProxy``: reads requests, answers challenges and refusals,
/// forwards absolute-form requests and splices `CONNECT` tunnels. Pinned to the proxy's reactor.
///
/// `@unchecked Sendable` is safe because only the connection's own task touches its buffer;
/// the instance is sent once, to that task.
final class ProxyConnection: @unchecked Sendable {
    let index: Int
    private let client: Socket
    private unowned let proxy: TestProxy
    private var buffer = ReceiveBuffer()
    private var sequenceNumber = 0
    /// The most of an origin's response body a forwarded request holds.
    private static let maxForwardedBody = 64 << 20

    init(client: Socket, index: Int, proxy: TestProxy) {
        self.client = client
        self.index = index
        self.proxy = proxy
    }

    func run() async {
        defer { client.close() }
        do {
            while let head = try await readHead() {
                guard case .request(let method, let target) = head.startLine else { return }
                let body = try await readBody(head)
                proxy.record(
                    RecordedRequest(
                        method: method, target: target, version: head.version, headers: head.headers, body: body,
                        sequenceNumber: sequenceNumber, connectionIndex: index))
                sequenceNumber += 1
                if let required = proxy.options.requiredAuthorization, head.headers["Proxy-Authorization"] != required {
                    let close = proxy.options.closeAfterChallenge
                    try await answer(
                        HTTPStatus(code: 407),
                        headers: ["Proxy-Authenticate": "Basic realm=\"TestProxy\""], close: close)
                    if close { return }
                    continue
                }
                if method == .connect {
                    if let status = proxy.options.connectStatus {
                        try await answer(status, close: false)
                        continue
                    }
                    try await tunnel(to: target)
                    return
                }
                guard try await forward(method, target: target, head: head, body: body) else { return }
            }
        } catch {
            return
        }
    }

    private func answer(_ status: HTTPStatus, headers: HTTPHeaders = [:], close: Bool) async throws {
        var headers = headers
        let body = ByteBuffer(string: status.reasonPhrase)
        headers["Content-Length"] = String(body.count)
        if close { headers["Connection"] = "close" }
        try await client.write(try HTTP1Serializer.responseHead(status: status, headers: headers), body, deadline: nil)
    }

    /// The origin's socket, for `host:port` as an IP address.
    private func dial(host: String, port: Int) async throws -> Socket? {
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard let address = SocketAddress(numericHost: bare, port: port) else { return nil }
        return try? await Socket.connect(to: address, on: client.reactor, deadline: .now + .seconds(10))
    }

    private func tunnel(to authority: String) async throws {
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]),
            let origin = try await dial(host: String(authority[..<colon]), port: port)
        else {
            return try await answer(HTTPStatus(code: 502), close: true)
        }
        defer { origin.close() }
        try await client.write(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"), deadline: nil)
        let pending = buffer.take(buffer.readableCount)
        if !pending.isEmpty { try await origin.write(pending, deadline: nil) }
        let limit = proxy.options.closeTunnelAfterBytes
        let (client, reactor) = (self.client, self.client.reactor)
        await withTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: reactor) {
                await ProxyConnection.pipe(from: client, to: origin, limit: nil)
            }
            group.addTask(executorPreference: reactor) {
                await ProxyConnection.pipe(from: origin, to: client, limit: limit)
            }
            // A cut tunnel ends both directions at once.
            if limit != nil {
                await group.next()
                client.interrupt()
                origin.interrupt()
            }
            await group.waitForAll()
        }
    }

    /// Copies bytes until the source ends (then half-closes the sink) or `limit` bytes went.
    private static func pipe(from source: Socket, to sink: Socket, limit: Int?) async {
        var buffer = ReceiveBuffer()
        var copied = 0
        while true {
            guard let count = try? await source.read(into: &buffer, deadline: nil), count > 0 else { break }
            var chunk = buffer.take(buffer.readableCount)
            if let limit, copied + chunk.count >= limit {
                chunk = chunk.slice(from: 0, count: limit - copied)
                _ = try? await sink.write(chunk, deadline: nil)
                return
            }
            copied += chunk.count
            guard (try? await sink.write(chunk, deadline: nil)) != nil else { return }
        }
        sink.shutdownOutput()
    }

    /// Sends an absolute-form request to its origin in origin form, without the proxy's headers,
    /// and relays the answer; whether the client connection stays open.
    private func forward(_ method: HTTPMethod, target: String, head: HTTP1Head, body: [UInt8]) async throws -> Bool {
        guard let url = URL(string: target), url.scheme == "http", let host = url.host(percentEncoded: true),
            let origin = try await dial(host: host, port: url.port ?? 80)
        else {
            try await answer(HTTPStatus(code: 502), close: true)
            return false
        }
        defer { origin.close() }
        var headers = head.headers
        for name in ["Proxy-Authorization", "Proxy-Connection", "Connection", "Keep-Alive"] { headers.remove(name) }
        headers["Connection"] = "close"
        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        if let query = url.query(percentEncoded: true) { path += "?" + query }
        try await origin.write(
            try HTTP1Serializer.requestHead(method: method, target: path, headers: headers), ByteBuffer(body),
            deadline: nil)

        var originBuffer = ReceiveBuffer()
        var parser = HTTP1HeadParser(role: .response)
        var response: HTTP1Head
        while true {
            if let (parsed, used) = try originBuffer.withReadableBytes({ (bytes) throws(HTTPClientError) in
                try parser.parse(bytes)
            }) {
                originBuffer.skip(used)
                response = parsed
                break
            }
            guard try await origin.read(into: &originBuffer, deadline: nil) > 0 else {
                try await answer(HTTPStatus(code: 502), close: true)
                return false
            }
        }
        var decoder = HTTP1BodyDecoder(framing: try HTTP1Framing.response(to: method, head: response))
        var relayed: [UInt8] = []
        while relayed.count <= ProxyConnection.maxForwardedBody {
            switch try decoder.next(&originBuffer) {
            case .data(let chunk): relayed += chunk
            case .end:
                guard case .status(let status) = response.startLine else { return false }
                var responseHeaders = response.headers
                for name in ["Transfer-Encoding", "Connection", "Keep-Alive"] { responseHeaders.remove(name) }
                if method != .head { responseHeaders["Content-Length"] = String(relayed.count) }
                try await client.write(
                    try HTTP1Serializer.responseHead(status: status, headers: responseHeaders), ByteBuffer(relayed),
                    deadline: nil)
                return true
            case .needMore:
                if try await origin.read(into: &originBuffer, deadline: nil) == 0 { try decoder.endOfStream() }
            }
        }
        try await answer(HTTPStatus(code: 502), close: true)
        return false
    }

    private func readHead() async throws -> HTTP1Head? {
        var parser = HTTP1HeadParser(role: .request)
        while true {
            if let (parsed, used) = try buffer.withReadableBytes({ (bytes) throws(HTTPClientError) in
                try parser.parse(bytes)
            }) {
                buffer.skip(used)
                return parsed
            }
            if try await client.read(into: &buffer, deadline: nil) == 0 { return nil }
        }
    }

    private func readBody(_ head: HTTP1Head) async throws -> [UInt8] {
        guard case .request(let method, _) = head.startLine, method != .connect else { return [] }
        var decoder = HTTP1BodyDecoder(framing: try HTTP1Framing.request(head))
        var body: [UInt8] = []
        while true {
            switch try decoder.next(&buffer) {
            case .data(let chunk): body += chunk
            case .end: return body
            case .needMore:
                if try await client.read(into: &buffer, deadline: nil) == 0 { try decoder.endOfStream() }
            }
        }
    }
}
