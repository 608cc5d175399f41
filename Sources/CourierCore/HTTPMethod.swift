/// An HTTP request method (RFC 9110 §9).
///
/// Any token is a valid method; the common ones have names.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public static let get: HTTPMethod = "GET"
    public static let head: HTTPMethod = "HEAD"
    public static let post: HTTPMethod = "POST"
    public static let put: HTTPMethod = "PUT"
    public static let delete: HTTPMethod = "DELETE"
    public static let patch: HTTPMethod = "PATCH"
    public static let options: HTTPMethod = "OPTIONS"
    public static let trace: HTTPMethod = "TRACE"
    public static let connect: HTTPMethod = "CONNECT"

    /// Whether repeating the request has the same effect as sending it once (RFC 9110 §9.2.2).
    /// Only idempotent requests are replayed after a connection failure.
    public var isIdempotent: Bool {
        switch rawValue {
        case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE": true
        default: false
        }
    }

    /// Whether a body is expected with the method; POST, PUT and PATCH without one send `Content-Length: 0`.
    public var expectsBody: Bool {
        switch rawValue {
        case "POST", "PUT", "PATCH": true
        default: false
        }
    }

    public var description: String { rawValue }

    /// Throws `.invalidRequest` unless the method is a token (RFC 9110 §9.1), which is what
    /// keeps a space or CRLF from rewriting the request line.
    package func validate() throws(HTTPClientError) {
        var valid = !rawValue.isEmpty
        for byte in rawValue.utf8 where !HTTPSyntax.isTokenCharacter(byte) { valid = false }
        guard valid else {
            throw HTTPClientError(.invalidRequest, "Method \(rawValue.debugDescription) is not a valid token.")
        }
    }
}
