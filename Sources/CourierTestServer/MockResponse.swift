public import CourierCore

/// A scripted response: what the test server sends back, and how.
///
/// ```swift
/// server.enqueue(MockResponse(status: .ok, body: "hello"))
/// server.enqueue(MockResponse(body: big).chunked(size: 1024).throttled(bytes: 4096, per: .milliseconds(10)))
/// server.enqueue(MockResponse(raw: "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n"))
/// ```
public struct MockResponse: Sendable {
    /// What follows the head.
    public enum Body: Sendable {
        case bytes([UInt8])
        /// `length` bytes written by `producer`, which runs off the reactor and may take its time
        /// (or never finish, to script a stall). With a nil length the body is chunked.
        case stream(length: Int?, producer: @Sendable (BodyWriter) async throws -> Void)
    }

    /// What the server does with the connection around this response (HTTP/1.1 only: see
    /// ``HTTP2Policy`` for HTTP/2).
    public enum SocketPolicy: Sendable, Equatable {
        /// Keep the connection open for the next request (unless the response says `Connection: close`).
        case keepOpen
        /// Close the connection after writing the response.
        case closeAfterResponse
        /// Read the request and never answer; the connection stays open until the client gives up.
        case noResponse
        /// Close the connection as soon as it is accepted, before reading anything.
        case disconnectAtStart
        /// Answer as soon as the request head is read, without reading the body, then close,
        /// as a server rejecting an upload (413) does; the client's unsent body makes the close
        /// a reset. Queue mode only.
        case answerBeforeBody
        /// Read the request, then close without answering.
        case disconnectAfterRequest
        /// Write the head and this many bytes of the body, then close.
        case disconnectDuringBody(afterBytes: Int)
        /// Write the head, then neither the body nor anything else: the client waits for bytes.
        case stallAfterHead
        /// Write the response, then shut down the sending direction (the client reads end of
        /// stream) while still reading; the connection cannot carry another response.
        case shutdownOutputAtEnd
        /// Write the response, then end TCP (a FIN) without TLS's `close_notify`, as a
        /// truncation attack would (RFC 9112 §9.8); over plain TCP the same as `shutdownOutputAtEnd`.
        case finWithoutCloseNotify
        /// Write the response, then ask the client to renegotiate TLS (a TLS 1.2 HelloRequest) and
        /// keep the connection for the next request, whose arrival runs the new handshake. Over
        /// cleartext or TLS 1.3, which cannot renegotiate, the connection closes instead, so a
        /// test of renegotiation cannot pass without one. Not for `raw` responses.
        case renegotiateAfterResponse
    }

    /// How the server answers a request that says `Expect: 100-continue`.
    public enum ExpectContinue: Sendable, Equatable {
        /// Send `100 Continue`, then read the body (the default).
        case sendContinue
        /// Say nothing and wait for the body, as a server unaware of the header would.
        case ignore
        /// Answer with this response at once, without reading the body, then close.
        case finalResponse
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body
    /// Bytes sent verbatim instead of a formatted head and body, for malformed responses.
    public var raw: [UInt8]?
    /// Bytes written verbatim as `rawProducer` produces them (off the reactor), instead of a
    /// formatted head and body: for responses that never end, such as endless interim responses.
    public var rawProducer: (@Sendable (BodyWriter) async throws -> Void)?
    /// Body chunk size when sent with chunked transfer coding; nil sends Content-Length.
    public var chunkSize: Int?
    /// Write at most `bytes` of the body per `period`.
    public var throttle: (bytes: Int, period: Duration)?
    public var socketPolicy: SocketPolicy = .keepOpen
    /// Only consulted in queue mode, where the response is known before the body is read.
    public var expectContinue: ExpectContinue = .sendContinue
    /// Fields sent after the body: over HTTP/2 a final HEADERS frame; over HTTP/1.1 the trailer
    /// section of a chunked body (a body sent with Content-Length carries none).
    public var trailers: HTTPHeaders?
    /// How the response goes out over HTTP/2, normally or with a fault; HTTP/1.1 ignores it, as
    /// HTTP/2 ignores ``socketPolicy``, ``raw``, ``rawProducer`` and ``chunkSize``.
    public var http2Policy: HTTP2Policy = .respond
    /// Set by ``webSocket(subprotocol:deflate:_:)``: the upgrade to answer a WebSocket handshake
    /// with, and the session to run on the upgraded connection (HTTP/1.1 only).
    var webSocket: WebSocketScript?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: String) {
        self.init(status: status, headers: headers, body: Array(body.utf8))
    }

    /// A response whose body is produced while it is sent.
    public init(
        status: HTTPStatus = .ok, headers: HTTPHeaders = [:], length: Int?,
        producer: @escaping @Sendable (BodyWriter) async throws -> Void
    ) {
        self.status = status
        self.headers = headers
        self.body = .stream(length: length, producer: producer)
    }

    /// Exactly these bytes, whatever they are.
    public init(raw: String) {
        self.init(rawBytes: Array(raw.utf8))
    }

    public init(rawBytes: [UInt8]) {
        self.init()
        self.raw = rawBytes
    }

    /// Whatever `producer` writes, verbatim, for as long as it writes.
    public init(rawProducer producer: @escaping @Sendable (BodyWriter) async throws -> Void) {
        self.init()
        self.rawProducer = producer
    }

    /// This response with a chunked body cut into chunks of `size` bytes.
    public func chunked(size: Int) -> MockResponse {
        var copy = self
        copy.chunkSize = size
        return copy
    }

    /// This response with its body sent at `bytes` per `period`.
    public func throttled(bytes: Int, per period: Duration) -> MockResponse {
        var copy = self
        copy.throttle = (bytes, period)
        return copy
    }

    /// This response with a behaviour for `Expect: 100-continue` requests.
    public func expectContinue(_ behaviour: ExpectContinue) -> MockResponse {
        var copy = self
        copy.expectContinue = behaviour
        return copy
    }

    /// This response with trailer fields after its body.
    public func trailers(_ trailers: HTTPHeaders) -> MockResponse {
        var copy = self
        copy.trailers = trailers
        return copy
    }

    /// This response with an HTTP/2 policy (see ``HTTP2Policy``).
    public func http2(_ policy: HTTP2Policy) -> MockResponse {
        var copy = self
        copy.http2Policy = policy
        return copy
    }

    /// This response with a socket policy.
    public func policy(_ policy: SocketPolicy) -> MockResponse {
        var copy = self
        copy.socketPolicy = policy
        return copy
    }
}

/// Writes a streamed mock body; each write waits until the client has taken the bytes (TCP back-pressure).
public struct BodyWriter: Sendable {
    let sink: @Sendable (ByteBuffer) async throws -> Void

    public func write(_ bytes: [UInt8]) async throws {
        try await sink(ByteBuffer(bytes))
    }

    public func write(_ buffer: ByteBuffer) async throws {
        try await sink(buffer)
    }
}
