import CourierCore
import FoundationEssentials

/// A `CONNECT` tunnel through an HTTP proxy (RFC 9110 §9.3.6), on a socket connected to it; on
/// the socket's reactor. A 2xx answer makes the socket a tunnel to the origin; a 407 is handed
/// back for the proxy authenticator; anything else is an error that carries the answer.
///
/// Only the origin's host and port, `Proxy-Authorization` and a `User-Agent` go to the proxy:
/// the request's own headers (its `Authorization`, its cookies) travel inside the tunnel.
enum HTTPTunnel {
    /// How a `CONNECT` ended, when it did not fail.
    enum Outcome {
        case open
        /// The proxy wants credentials. `reusable`: its connection is still good for another
        /// `CONNECT` (keep-alive, the 407's body read to its end).
        case challenged(HTTPResponse, reusable: Bool)
    }

    /// The most of a refusal's body that is read, to carry it in the error and keep the connection.
    static let maxRefusalBody = 64 << 10

    /// The request a proxy authenticator sees: `CONNECT` to the origin, with the credentials sent.
    static func request(for address: Address, proxyAuthorization: String?) -> HTTPRequest {
        let authority =
            address.host.contains(":") ? "[\(address.host)]:\(address.port)" : "\(address.host):\(address.port)"
        var headers: HTTPHeaders = ["Host": authority, "Proxy-Connection": "Keep-Alive"]
        if let proxyAuthorization { headers["Proxy-Authorization"] = proxyAuthorization }
        let scheme = address.tls == nil ? "http" : "https"
        return HTTPRequest(method: .connect, url: URL(string: "\(scheme)://\(authority)/")!, headers: headers)
    }

    static func open(
        _ socket: Socket, request: HTTPRequest, userAgent: String?, proxy: Proxy, timeout: IOTimeout
    ) async throws -> Outcome {
        let doing = "while opening a CONNECT tunnel"
        var headers = request.headers
        if let userAgent { headers["User-Agent"] = userAgent }
        let head = try HTTP1Serializer.requestHead(method: .connect, target: headers["Host"]!, headers: headers)
        try await ProxyIO.write(socket, head, proxy: proxy, doing: doing, timeout: timeout)

        var buffer = ReceiveBuffer(initialReadSize: 4096)
        var parser = HTTP1HeadParser(role: .response)
        var response: HTTP1Head
        while true {
            let parsed = try buffer.withReadableBytes { (bytes) throws(HTTPClientError) in try parser.parse(bytes) }
            if let (head, used) = parsed {
                buffer.skip(used)
                guard case .status(let status) = head.startLine, status.isInformational else {
                    response = head
                    break
                }
                parser = HTTP1HeadParser(role: .response)
                continue
            }
            try await ProxyIO.read(socket, into: &buffer, proxy: proxy, doing: doing, timeout: timeout)
        }
        guard case .status(let status) = response.startLine else {
            preconditionFailure("response parser gave a request")
        }
        if status.isSuccess {
            // The origin speaks only after we do (TLS or a request): earlier bytes are the proxy's.
            guard buffer.readableCount == 0 else {
                throw HTTPClientError(
                    .proxy(.protocolViolation),
                    "Proxy \(proxy) sent \(buffer.readableCount) bytes after accepting CONNECT, before any request.")
            }
            return .open
        }
        let (body, complete) = try await readBody(
            socket, head: response, buffer: &buffer, proxy: proxy, timeout: timeout)
        let answer = HTTPResponse(
            status: status, headers: response.headers, version: response.version, request: request,
            body: HTTPResponse.Body(body))
        if status.code == 407 {
            return .challenged(answer, reusable: complete && response.keepAlive)
        }
        throw HTTPClientError(
            .proxy(.tunnelRefused(status: status.code)),
            "Proxy \(proxy) refused to open a tunnel to \(request.headers["Host"] ?? "the origin"): \(status.code) \(status.reasonPhrase).",
            response: answer, closeReason: nil)
    }

    /// The refusal's body, up to ``maxRefusalBody``; whether it was read to its end.
    private static func readBody(
        _ socket: Socket, head: HTTP1Head, buffer: inout ReceiveBuffer, proxy: Proxy, timeout: IOTimeout
    ) async throws -> (ByteBuffer, Bool) {
        let framing = try HTTP1Framing.response(to: .connect, head: head)
        var decoder = HTTP1BodyDecoder(framing: framing)
        var body: [UInt8] = []
        while body.count <= maxRefusalBody {
            switch try decoder.next(&buffer) {
            case .data(let chunk): body += chunk
            case .end: return (ByteBuffer(body), !decoder.isCloseDelimited)
            case .needMore:
                do {
                    try await ProxyIO.read(
                        socket, into: &buffer, proxy: proxy, doing: "while reading its refusal", timeout: timeout)
                } catch let error as HTTPClientError where error.kind == .connectionClosed {
                    return (ByteBuffer(body), false)
                }
            }
        }
        return (ByteBuffer(body.prefix(maxRefusalBody)), false)
    }
}
