/// A response head and its body, which is still streaming from the connection when `send` returns.
///
/// ```swift
/// let response = try await client.send(request)
/// guard response.status.isSuccess else { ... }
/// let text = try await response.body.string()
/// ```
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var version: HTTPVersion
    /// The request that produced this response. Network interceptors see it as it went to the
    /// wire; above them, as in OkHttp, it is the request before the client added its own headers
    /// (`Host`, `User-Agent`, `Accept-Encoding`, the jar's cookies, framing), so that a redirect or
    /// an authentication retry starts from what the caller asked for, not from the last wire form.
    public var request: HTTPRequest
    public var body: Body
    /// The TLS handshake of the connection that carried the response; nil over plain HTTP.
    public var tlsHandshake: TLSHandshake?
    /// The connection a 101 (Switching Protocols) handed over, for the protocol that asked for it.
    package var switchedConnection: (any SwitchedConnection)?
    private var prior: PriorResponse?
    private var cached: PriorResponse?
    private var network: PriorResponse?

    public init(
        status: HTTPStatus,
        headers: HTTPHeaders = [:],
        version: HTTPVersion = .http1_1,
        request: HTTPRequest,
        body: Body = .empty
    ) {
        self.status = status
        self.headers = headers
        self.version = version
        self.request = request
        self.body = body
    }

    /// The trailer fields sent after the body (HTTP/1.1 chunked trailers, HTTP/2 trailing
    /// HEADERS), such as a checksum or a `grpc-status` computed while the body streamed. Empty
    /// until the body has been read to its end, and when there were none.
    public func trailers() -> HTTPHeaders {
        body.source?.trailers ?? HTTPHeaders()
    }

    /// The redirect or authentication challenge that this response followed, if any; its body
    /// has already been discarded.
    public var priorResponse: HTTPResponse? {
        get { prior?.response }
        set { prior = newValue.map(PriorResponse.init) }
    }

    /// The stored response the cache answered with, as OkHttp has it: set on a hit and on a
    /// revalidated (304) hit, nil when the cache was not used. Its body is empty; read this
    /// response's body instead.
    public var cacheResponse: HTTPResponse? {
        get { cached?.response }
        set { cached = newValue.map(PriorResponse.init) }
    }

    /// The response the network sent for this call, as OkHttp has it: nil on a hit served from
    /// the cache alone; on a revalidation, the 304. Its body is empty; read this response's body
    /// instead.
    public var networkResponse: HTTPResponse? {
        get { network?.response }
        set { network = newValue.map(PriorResponse.init) }
    }

    /// A copy of the head without a body, for ``cacheResponse`` and ``networkResponse``.
    package var withoutBody: HTTPResponse {
        var copy = self
        copy.body = .empty
        copy.switchedConnection = nil
        return copy
    }
}

/// Breaks the recursion of a struct holding optionals of itself.
private final class PriorResponse: Sendable {
    let response: HTTPResponse

    init(_ response: HTTPResponse) {
        self.response = response
    }
}
