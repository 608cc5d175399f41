/// Answers authentication challenges: a 401 from a server (or a 407 from a proxy).
///
/// Return a request carrying credentials to try again, or nil to give up and hand the challenge
/// response to the caller. It may suspend, for example to refresh a token.
///
/// ```swift
/// config.authenticator = BasicAuthenticator(username: "ada", password: "s3cret")
/// config.authenticator = BearerAuthenticator { rejected in try await tokens.fresh(replacing: rejected) }
/// ```
///
/// Courier never loops: if an authenticator returns a request whose credentials were just
/// rejected, the challenge response is returned instead.
///
/// Credentials stay with the origin they were meant for: by default a challenge is answered
/// only when it comes from the origin (scheme, host, port) the call was sent to, so a redirect
/// to another host cannot ask for the password (see ``AuthenticationScope``). Whatever the scope,
/// a call that has been on https never answers a challenge over cleartext http.
public protocol Authenticator: Sendable {
    func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest?
    /// Which origins may receive this authenticator's credentials, for a server's 401s. A proxy
    /// authenticator's credentials belong to the proxy and answer its 407s on any call.
    var scope: AuthenticationScope { get }
}

extension Authenticator {
    public var scope: AuthenticationScope { .callOrigin }
}

/// Which challenges an ``Authenticator`` is asked to answer.
public enum AuthenticationScope: Hashable, Sendable {
    /// Only challenges from the origin of the request the call began with; after a redirect to
    /// another origin, a 401 is returned to the caller as it is. The default.
    case callOrigin
    /// Challenges from any origin the call is redirected to: for credentials valid on several
    /// hosts. Say so only when every origin a redirect can reach may see them.
    case anyOrigin
}

/// HTTP Basic authentication (RFC 7617), answering challenges that offer the Basic scheme.
public struct BasicAuthenticator: Authenticator {
    public let username: String
    public let password: String
    public let scope: AuthenticationScope

    public init(username: String, password: String, scope: AuthenticationScope = .callOrigin) {
        self.username = username
        self.password = password
        self.scope = scope
    }

    /// The header value: `Basic` and the UTF-8 `user:password` in base64.
    public var credentials: String {
        "Basic " + Base64.encode(Array("\(username):\(password)".utf8))
    }

    public func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest? {
        let header = response.status.code == 407 ? "Proxy-Authorization" : "Authorization"
        guard AuthChallenge.offers("Basic", in: response) else { return nil }
        var request = response.request
        request.headers[header] = credentials
        return request
    }
}

/// Bearer tokens (RFC 6750), from a provider that is told which token was rejected so that it
/// can refresh it; returning nil gives up.
public struct BearerAuthenticator: Authenticator {
    public let token: @Sendable (_ rejected: String?) async throws -> String?
    public let scope: AuthenticationScope

    public init(
        scope: AuthenticationScope = .callOrigin,
        token: @escaping @Sendable (_ rejected: String?) async throws -> String?
    ) {
        self.scope = scope
        self.token = token
    }

    public func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest? {
        guard response.status.code == 401, AuthChallenge.offers("Bearer", in: response) else { return nil }
        let sent = response.request.headers["Authorization"]
        let rejected = sent.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let fresh = try await token(rejected) else { return nil }
        var request = response.request
        request.headers["Authorization"] = "Bearer " + fresh
        return request
    }
}
