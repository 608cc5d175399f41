import CourierCore

/// One exchange on an HTTP/1.1 connection that carries nothing else meanwhile: the head and a
/// body in memory in one gathered write, a streamed body chunk-framed when its length is unknown,
/// the response framed by RFC 9112 §6.
///
/// Used by one exchange, one task at a time (``interrupt()`` excepted), and the pool hands the
/// connection to one exchange at a time, which makes the `@unchecked Sendable` safe.
final class HTTP1Codec: ExchangeCodec, @unchecked Sendable {
    let http1: HTTP1Connection
    /// The request body is chunk-framed: its length was unknown.
    private var chunked = false
    private var decoder: HTTP1BodyDecoder?
    /// Whether the response allows another exchange after it (keep-alive, not close-delimited,
    /// the request complete).
    private var reusableAfterBody = false
    private(set) var hasBegun = false
    /// The request head, serialised before the exchange hopped to the reactor.
    private var preparedHead: ByteBuffer?

    init(connection: HTTP1Connection) {
        self.http1 = connection
    }

    var connection: ConnectionInfo { http1.info }

    var executor: any TaskExecutor { http1.reactor }

    func begin() -> Bool {
        hasBegun = true
        http1.beginExchange()
        return http1.exchangeCount > 1
    }

    /// Over plain TCP, when no other exchange is in progress on the reactor: the syscalls are
    /// non-blocking, and a wait for the response parks the task in the reactor without waking
    /// it, so an exchange costs one thread hand-off (the reactor resuming the caller) instead of
    /// a hop there and back. With other exchanges in progress the reactor is busy: it takes the
    /// hop without a wake-up and handles many connections' readiness in one pass, so then the
    /// exchange runs pinned, as TLS always does (the reactor owns the OpenSSL state).
    func beginCallerThreadIO() -> Bool {
        http1.reactor.exchangeStarted() && http1.plainSocket != nil
    }

    func endCallerThreadIO() {
        http1.reactor.exchangeEnded()
    }

    func prepareRequestHead(_ request: HTTPRequest) throws {
        preparedHead = try head(of: request)
    }

    /// The head in origin-form, or in absolute-form to a proxy that forwards it (RFC 9112 §3.2.2).
    private func head(of request: HTTPRequest) throws -> ByteBuffer {
        let target = try request.target
        let requestTarget =
            http1.info.route.address.isForwardedByProxy
            ? "\(target.scheme)://\(target.authority)\(target.path)" : target.path
        return try HTTP1Serializer.requestHead(
            method: request.method, target: requestTarget, headers: HTTP1Codec.framed(request))
    }

    /// The request's fields with the framing its body goes out with (RFC 9112 §6.2, §6.3): the
    /// body's length, `Transfer-Encoding: chunked` when it has none, `Content-Length` at most 0
    /// without one. The bridge sets these, but a network interceptor may replace the body after
    /// it; fields that disagreed with the bytes sent would make the server read the body
    /// differently and the rest as another request (a request smuggled by accident).
    static func framed(_ request: HTTPRequest) -> HTTPHeaders {
        var headers = request.headers
        let contentLength = headers["Content-Length"]
        let transferEncoding = headers["Transfer-Encoding"]
        switch request.body?.length {
        case .some(let length):
            guard contentLength != String(length) || transferEncoding != nil else { return headers }
            headers.remove("Transfer-Encoding")
            headers["Content-Length"] = String(length)
        case .none where request.body != nil:
            guard transferEncoding != "chunked" || contentLength != nil else { return headers }
            headers.remove("Content-Length")
            headers["Transfer-Encoding"] = "chunked"
        case .none:
            guard transferEncoding != nil || (contentLength != nil && contentLength != "0") else { return headers }
            headers.remove("Transfer-Encoding")
            if contentLength != nil { headers["Content-Length"] = "0" }
        }
        return headers
    }

    nonisolated(nonsending) func writeRequestHead(
        _ request: HTTPRequest, body: ByteBuffer?, endOfRequest: Bool, timeout: IOTimeout
    )
        async throws
    {
        chunked = !endOfRequest && request.body?.length == nil
        let head = try preparedHead ?? head(of: request)
        try await http1.writeSoon(head, body ?? ByteBuffer(), timeout: timeout)
    }

    nonisolated(nonsending) func writeRequestBody(_ chunk: ByteBuffer, timeout: IOTimeout) async throws {
        guard chunked else { return try await http1.writeSoon(chunk, ByteBuffer(), timeout: timeout) }
        try await http1.writeSoon(HTTP1Serializer.chunkHeader(count: chunk.count), chunk, timeout: timeout)
        try await http1.writeSoon(HTTP1Serializer.chunkEnd, ByteBuffer(), timeout: timeout)
    }

    nonisolated(nonsending) func finishRequest(timeout: IOTimeout) async throws {
        guard chunked else { return }
        try await http1.writeSoon(HTTP1Serializer.lastChunk, ByteBuffer(), timeout: timeout)
    }

    /// Only a reset qualifies (see `HTTP1Connection.earlyResponse`): after any other failure the
    /// connection may already be closed.
    nonisolated(nonsending) func responseAfterWriteFailure(
        _ error: any Error, request: HTTPRequest, timeout: IOTimeout
    ) async throws
        -> ResponseHead
    {
        guard http1.writeFailedOnReset else { throw error }
        guard let early = await http1.earlyResponse(to: request.method, timeout: timeout) else {
            // Cancellation or the call's deadline, if either came meanwhile, says more than the reset.
            try http1.check(timeout, phase: .request)
            throw error
        }
        return try ResponseHead(early)
    }

    nonisolated(nonsending) func readResponseHead(
        timeout: IOTimeout, returningContinue: Bool
    ) async throws -> ResponseHead {
        try ResponseHead(try await http1.readResponseHead(timeout: timeout, returningContinue: returningContinue))
    }

    func openResponseBody(for request: HTTPRequest, head: ResponseHead, requestComplete: Bool) throws -> Bool {
        let http1Head = HTTP1Head(startLine: .status(head.status), version: head.version, headers: head.headers)
        let framing = try HTTP1Framing.response(
            to: request.method, head: http1Head, requestedUpgrade: request.headers.contains("Upgrade"))
        let decoder = HTTP1BodyDecoder(framing: framing, limits: http1.limits)
        // A final response that came before a 100-continue body leaves the server expecting it.
        reusableAfterBody =
            http1Head.keepAlive && !request.headers.containsToken("close", in: "Connection") && requestComplete
            && !decoder.isCloseDelimited
        self.decoder = decoder
        return !decoder.isComplete
    }

    /// Bytes already buffered (often the whole of a small body) need no trip to the reactor.
    nonisolated(nonsending) func readResponseBody(timeout: IOTimeout) async throws -> ByteBuffer? {
        switch try decoder!.next(&http1.buffer) {
        case .data(let data):
            // Checked for buffered chunks too (reads check for themselves): a consumer reading a
            // body that arrives faster than it reads would otherwise never reach a check.
            try http1.check(timeout, phase: .responseBody)
            return data
        case .end:
            return nil
        case .needMore:
            return try await withTaskExecutorPreference(http1.reactor) {
                try await self.http1.readBody(&self.decoder!, timeout: timeout)
            }
        }
    }

    /// Never: an HTTP/1.1 body is read from the socket only as the caller asks for it.
    func takeWholeBody() -> ByteBuffer? { nil }

    var trailers: HTTPHeaders? { decoder?.trailers }

    var isReusable: Bool { reusableAfterBody && (decoder?.isComplete ?? true) }

    /// After a 101 the connection is the new protocol's; it leaves the pool, so `done` has no use.
    func switchProtocols(after head: ResponseHead, done: @escaping @Sendable () -> Void) -> SwitchedStream? {
        guard head.status.code == 101 else { return nil }
        return SwitchedStream(stream: http1.stream, leftover: http1.buffer, info: http1.info, ownsConnection: true)
    }

    func interrupt() {
        http1.stream.interrupt()
    }

    func cancel() {
        http1.close()
    }
}

extension ResponseHead {
    /// A parsed HTTP/1.x response head; a request line here is the parser's bug, not the peer's.
    fileprivate init(_ head: HTTP1Head) throws {
        guard case .status(let status) = head.startLine else {
            preconditionFailure("response parser returned a request line")
        }
        self.init(status: status, version: head.version, headers: head.headers)
    }
}
