/// A response head and its body, which is still streaming from the connection when `send` returns.
///
/// ```swift
/// let response = try await client.send(request)
/// guard response.status.isSuccess else { ... }
/// let text = try await response.body.string()
/// ```
public struct HTTPResponse: Sendable {
    /// The fields, in one box shared by copies until one of them changes: a response passes
    /// through every stage of a call, and copying (then releasing) its dozen references at each
    /// step cost a tenth of a cache hit.
    private var storage: Storage

    public var status: HTTPStatus {
        _read { yield storage.status }
        _modify {
            makeUnique()
            yield &storage.status
        }
    }
    public var headers: HTTPHeaders {
        _read { yield storage.headers }
        _modify {
            makeUnique()
            yield &storage.headers
        }
    }
    public var version: HTTPVersion {
        _read { yield storage.version }
        _modify {
            makeUnique()
            yield &storage.version
        }
    }
    /// The request that produced this response. Network interceptors see it as it went to the
    /// wire; above them, as in OkHttp, it is the request before the client added its own headers
    /// (`Host`, `User-Agent`, `Accept-Encoding`, the jar's cookies, framing), so that a redirect or
    /// an authentication retry starts from what the caller asked for, not from the last wire form.
    public var request: HTTPRequest {
        _read { yield storage.request }
        _modify {
            makeUnique()
            yield &storage.request
        }
    }
    public var body: Body {
        _read { yield storage.body }
        _modify {
            makeUnique()
            yield &storage.body
        }
    }
    /// The TLS handshake of the connection that carried the response; nil over plain HTTP.
    public var tlsHandshake: TLSHandshake? {
        // A getter: `_read` would heap-allocate a coroutine frame for a value this large.
        get { storage.tlsHandshake }
        _modify {
            makeUnique()
            yield &storage.tlsHandshake
        }
    }
    /// The connection a 101 (Switching Protocols) handed over, for the protocol that asked for it.
    package var switchedConnection: (any SwitchedConnection)? {
        _read { yield storage.switchedConnection }
        _modify {
            makeUnique()
            yield &storage.switchedConnection
        }
    }

    public init(
        status: HTTPStatus,
        headers: HTTPHeaders = [:],
        version: HTTPVersion = .http1_1,
        request: HTTPRequest,
        body: Body = .empty
    ) {
        storage = Storage(status: status, headers: headers, version: version, request: request, body: body)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
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
        _read { yield storage.prior }
        set {
            makeUnique()
            storage.prior = newValue
        }
    }

    /// The stored response the cache answered with, as OkHttp has it: set on a hit and on a
    /// revalidated (304) hit, nil when the cache was not used. Its body is empty; read this
    /// response's body instead.
    public var cacheResponse: HTTPResponse? {
        _read { yield storage.cached }
        set {
            makeUnique()
            storage.cached = newValue
        }
    }

    /// The response the network sent for this call, as OkHttp has it: nil on a hit served from
    /// the cache alone; on a revalidation, the 304. Its body is empty; read this response's body
    /// instead.
    public var networkResponse: HTTPResponse? {
        _read { yield storage.network }
        set {
            makeUnique()
            storage.network = newValue
        }
    }

    /// A copy of the head without a body, for ``cacheResponse`` and ``networkResponse``.
    package var withoutBody: HTTPResponse {
        var copy = self
        copy.body = .empty
        copy.switchedConnection = nil
        return copy
    }
}

extension HTTPResponse {
    /// The fields of a response. Copy-on-write makes the `@unchecked Sendable` safe: they change
    /// only through a response holding the one reference to them (``HTTPResponse/makeUnique()``), so
    /// never while another task can read them. For the same reason no two accesses can overlap,
    /// so the fields skip the runtime's exclusivity check (see ``HTTPRequest``'s storage).
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var status: HTTPStatus
        @exclusivity(unchecked) var headers: HTTPHeaders
        @exclusivity(unchecked) var version: HTTPVersion
        @exclusivity(unchecked) var request: HTTPRequest
        @exclusivity(unchecked) var body: Body
        @exclusivity(unchecked) var tlsHandshake: TLSHandshake?
        @exclusivity(unchecked) var switchedConnection: (any SwitchedConnection)?
        @exclusivity(unchecked) var prior: HTTPResponse?
        @exclusivity(unchecked) var cached: HTTPResponse?
        @exclusivity(unchecked) var network: HTTPResponse?

        init(status: HTTPStatus, headers: HTTPHeaders, version: HTTPVersion, request: HTTPRequest, body: Body) {
            self.status = status
            self.headers = headers
            self.version = version
            self.request = request
            self.body = body
        }

        func copy() -> Storage {
            let copy = Storage(status: status, headers: headers, version: version, request: request, body: body)
            copy.tlsHandshake = tlsHandshake
            copy.switchedConnection = switchedConnection
            copy.prior = prior
            copy.cached = cached
            copy.network = network
            return copy
        }
    }
}
