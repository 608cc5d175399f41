public import FoundationEssentials

/// An HTTP request: method, URL, header fields and an optional body.
///
/// A value type: interceptors copy and modify it freely.
///
/// ```swift
/// var request = HTTPRequest(url: URL(string: "http://127.0.0.1:8080/hello")!)
/// request.headers["Accept"] = "text/plain"
/// let post = HTTPRequest(method: .post, url: url, headers: ["Content-Type": "application/json"],
///                        body: .bytes(json))
/// ```
public struct HTTPRequest: Sendable {
    /// The fields, in one box shared by copies until one of them changes (see ``HTTPResponse``):
    /// every stage of a call passes the request on, and most change nothing. Reads yield the
    /// field in place, so looking a header up does not retain and release the whole list.
    private var storage: Storage

    public var method: HTTPMethod {
        _read { yield storage.method }
        _modify {
            makeUnique()
            yield &storage.method
        }
    }
    public var url: URL {
        _read { yield storage.url }
        set {
            makeUnique()
            storage.url = newValue
            storage.parsedTarget = ParsedTarget(newValue)
        }
    }
    public var headers: HTTPHeaders {
        _read { yield storage.headers }
        _modify {
            makeUnique()
            yield &storage.headers
        }
    }
    public var body: Body? {
        // A getter, not `_read`: a yield of a value this large copies it into a coroutine
        // frame that is allocated on the heap, once per read.
        get { storage.body }
        _modify {
            makeUnique()
            yield &storage.body
        }
    }

    public init(method: HTTPMethod = .get, url: URL, headers: HTTPHeaders = [:], body: Body? = nil) {
        storage = Storage(method: method, url: url, headers: headers, body: body, parsedTarget: ParsedTarget(url))
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// Scheme, host, port and request-target of `url`, or why they are unusable.
    package var target: RequestTarget {
        get throws(HTTPClientError) { try storage.parsedTarget.result.get() }
    }

    /// Checks what can be checked before any I/O: the method, the URL and the header fields.
    /// `HTTPClient.send` calls it first, so a bad request fails as `.invalidRequest` even when
    /// the host is down, without a DNS lookup, connect or handshake.
    public func validate() throws(HTTPClientError) {
        try method.validate()
        _ = try target
        try headers.validate()
        if case .failed(let error) = body?.storage { throw error }
    }
}

extension HTTPRequest {
    /// The fields of a request. Copy-on-write makes the `@unchecked Sendable` safe: they change
    /// only through a request holding the one reference to them (``HTTPRequest/makeUnique()``), so
    /// never while another task can read them. For the same reason no two accesses can overlap,
    /// so the fields skip the runtime's exclusivity check, which every stage of a call paid on
    /// every read (about 2 % of an HTTP/2 call's CPU).
    private final class Storage: @unchecked Sendable {
        @exclusivity(unchecked) var method: HTTPMethod
        @exclusivity(unchecked) var url: URL
        @exclusivity(unchecked) var headers: HTTPHeaders
        @exclusivity(unchecked) var body: Body?
        /// The URL's wire parts, parsed once when the URL is set: every stage of a call needs them.
        @exclusivity(unchecked) var parsedTarget: ParsedTarget

        init(method: HTTPMethod, url: URL, headers: HTTPHeaders, body: Body?, parsedTarget: ParsedTarget) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
            self.parsedTarget = parsedTarget
        }

        func copy() -> Storage {
            Storage(method: method, url: url, headers: headers, body: body, parsedTarget: parsedTarget)
        }
    }
}

/// A parsed URL, shared by the copies of a request; immutable, so safe to share.
private final class ParsedTarget: Sendable {
    let result: Result<RequestTarget, HTTPClientError>

    init(_ url: URL) {
        do throws(HTTPClientError) {
            result = .success(try RequestTarget(url))
        } catch {
            result = .failure(error)
        }
    }
}

/// The parts of a request URL the wire needs, checked once.
package struct RequestTarget: Hashable, Sendable {
    package let scheme: String
    package let host: String
    package let port: Int
    /// path?query, as sent in the request line (origin-form).
    package let path: String

    package var isSecure: Bool { scheme == "https" || scheme == "wss" }

    /// `host[:port]` for the Host header: the port is omitted when it is the scheme's default.
    /// Stored, since every call sends it, and it is worked out once per URL.
    package let authority: String

    package init(_ url: URL) throws(HTTPClientError) {
        guard let scheme = url.scheme?.lowercased(), ["http", "https", "ws", "wss"].contains(scheme) else {
            throw HTTPClientError(
                .invalidURL, "Unsupported URL scheme in \(url.absoluteString); expected http or https.")
        }
        guard let authority = URLAuthority(url), !authority.host.isEmpty else {
            throw HTTPClientError(.invalidURL, "URL \(url.absoluteString) has no host.")
        }
        guard let host = URLHost.canonical(String(authority.host)) else {
            throw HTTPClientError(.invalidURL, "URL \(url.absoluteString) has an invalid host.")
        }
        let defaultPort = scheme == "https" || scheme == "wss" ? 443 : 80
        let port = authority.port.flatMap { $0.isEmpty ? defaultPort : Int($0) } ?? defaultPort
        guard (1...65535).contains(port), authority.port.map({ $0.isEmpty || Int($0) != nil }) ?? true else {
            throw HTTPClientError(.invalidURL, "URL \(url.absoluteString) has an invalid port.")
        }
        var path = URLPath.removingDotSegments(url.path(percentEncoded: true))
        if let query = url.query(percentEncoded: true) { path += "?" + query }
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        let hostPart = self.host.contains(":") ? "[\(self.host)]" : self.host
        self.authority = port == (scheme == "https" || scheme == "wss" ? 443 : 80) ? hostPart : "\(hostPart):\(port)"
    }
}
