import CourierCore
import FoundationEssentials

/// Which request, if any, follows a response (OkHttp's `followUpRequest`).
///
/// - 300, 301, 302, 303: the target in `Location`; a POST becomes a GET without a body (for
///   300, 301 and 302 every browser and OkHttp do it), and after a 303 so does every method but
///   HEAD. The fields that described the body go with it.
/// - 307, 308: the same method and body to the new target; a stream body cannot be sent twice,
///   so such a response is returned as it is.
/// - 401 and 407: the request the authenticator (or proxy authenticator) builds, unless it
///   offers the credentials that were just rejected.
/// - 421 (Misdirected Request) on an HTTP/2 connection coalesced from another host: the same
///   request on a connection of its own, once the pool stops sharing that one (OkHttp's rule).
/// - 408 (the server timed out waiting) and 503 with `Retry-After: 0`: the same request once
///   more, unless the previous response was the same answer; a 408 only with
///   `retryOnConnectionFailure` and without a `Retry-After` above 0 (OkHttp's rule).
///
/// Redirects need `followRedirects`, and `followSSLRedirects` when they switch between http and
/// https. Credentials (`Authorization`, `Proxy-Authorization`, `Cookie`) set on the request
/// never travel to another origin, and an authenticator answers only the challenges its
/// ``AuthenticationScope`` allows — never one over cleartext once the call has been on https.
enum FollowUp {
    struct Policy: Sendable {
        var followRedirects: Bool
        var followSSLRedirects: Bool
        var retryOnConnectionFailure: Bool
        var authenticator: (any Authenticator)?
        var proxyAuthenticator: (any Authenticator)?
    }

    /// `exchange`: what is known of the exchange that got `response`. Only when it came through
    /// an HTTP proxy that forwards requests is a 407 the proxy's; a tunnel's 407 is answered while the tunnel is built, so any
    /// other 407 is an origin's, and an origin has no say over proxy credentials (OkHttp refuses
    /// such a 407 too).
    static func request(
        after response: HTTPResponse, policy: Policy, exchange: CallContext.ExchangeFacts
    ) async throws -> HTTPRequest? {
        let request = response.request
        switch response.status.code {
        case 401:
            guard let authenticator = policy.authenticator, mayAnswer(response, scope: authenticator.scope) else {
                return nil
            }
            return try await authenticate(response, with: authenticator, header: "Authorization")
        case 407:
            // Proxy credentials belong to the proxy, whichever origin the call is on: no origin scope.
            guard let authenticator = policy.proxyAuthenticator, exchange.forwardedByProxy else {
                return nil
            }
            return try await authenticate(response, with: authenticator, header: "Proxy-Authorization")
        case 300, 301, 302, 303, 307, 308:
            return redirect(response, policy: policy)
        case 421:
            // Misdirected on a connection coalesced from another host: the server may take the
            // request on a connection of its own (RFC 9110 §15.5.20), whatever the method.
            guard let leave = exchange.leaveCoalescedConnection, request.body?.isReplayable ?? true else { return nil }
            await leave()
            return request
        case 408:
            guard policy.retryOnConnectionFailure, response.priorResponse?.status.code != 408,
                request.body?.isReplayable ?? true, response.headers["Retry-After"].map({ Int($0) == 0 }) ?? true
            else { return nil }
            return request
        case 503:
            guard response.priorResponse?.status.code != 503, response.headers["Retry-After"] == "0",
                request.body?.isReplayable ?? true
            else { return nil }
            return request
        default:
            return nil
        }
    }

    /// The authenticator's answer, unless the answer repeats credentials the server just rejected.
    private static func authenticate(
        _ response: HTTPResponse,
        with authenticator: any Authenticator,
        header: String
    ) async throws -> HTTPRequest? {
        guard response.request.body?.isReplayable ?? true,
            let next = try await authenticator.authenticate(response)
        else { return nil }
        let rejected = response.request.headers[header]
        guard let offered = next.headers[header], offered != rejected else { return nil }
        return next
    }

    /// Whether credentials may answer the challenge in `response`: it comes from an origin the
    /// scope allows, and not over cleartext after any request of the call went over https.
    private static func mayAnswer(_ response: HTTPResponse, scope: AuthenticationScope) -> Bool {
        let responses = sequence(first: response, next: \.priorResponse)
        let challenged = response.request.url
        if !isSecure(challenged) && responses.contains(where: { isSecure($0.request.url) }) { return false }
        switch scope {
        case .callOrigin:
            var first = response
            while let prior = first.priorResponse { first = prior }
            return sameOrigin(first.request.url, challenged)
        case .anyOrigin:
            return true
        }
    }

    private static func isSecure(_ url: URL) -> Bool {
        url.scheme?.lowercased() == "https"
    }

    private static func redirect(_ response: HTTPResponse, policy: Policy) -> HTTPRequest? {
        guard policy.followRedirects, let location = response.headers["Location"],
            var target = URL(string: location, relativeTo: response.request.url)?.absoluteURL,
            let scheme = target.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return nil }
        var request = response.request
        let fromScheme = request.url.scheme?.lowercased()
        guard scheme == fromScheme || policy.followSSLRedirects else { return nil }
        if redirectsToGet(response.status.code, method: request.method) {
            request.method = .get
            request.body = nil
            for name in bodyFields { request.headers.remove(name) }
        } else if request.body?.isReplayable == false {
            return nil
        }
        if !sameOrigin(request.url, target) {
            for name in ["Authorization", "Proxy-Authorization", "Cookie"] { request.headers.remove(name) }
        }
        // A Digest answer is bound to the method and URI it was computed for (RFC 7616 §3.4):
        // sent to the new target it is refused, and, as credentials already tried, not renewed.
        for name in ["Authorization", "Proxy-Authorization"]
        where request.headers[name]?.lowercased().hasPrefix("digest ") == true {
            request.headers.remove(name)
        }
        // RFC 9110 §10.2.2: a target without a fragment inherits the one the request had.
        if target.fragment(percentEncoded: true) == nil, let fragment = request.url.fragment(percentEncoded: true),
            let inherited = URL(string: target.absoluteString + "#" + fragment)
        {
            target = inherited
        }
        request.headers.remove("Host")
        request.url = target
        return request
    }

    /// The fields that describe a request's body (Fetch's request-body-header names, with the
    /// framing ones): they go when a redirect turns the request into a GET without one.
    private static let bodyFields = [
        "Content-Length", "Transfer-Encoding", "Content-Type", "Content-Encoding", "Content-Language",
        "Content-Location",
    ]

    /// A 303 turns any method but HEAD into GET; a 300, 301 or 302 only POST, as browsers and
    /// OkHttp do and RFC 9110 §15.4.2 allows "for historical reasons". Other methods keep their
    /// method and body (a DELETE moved permanently is still a DELETE), as 307 and 308 always do
    /// (Fetch §4.4).
    private static func redirectsToGet(_ code: Int, method: HTTPMethod) -> Bool {
        switch code {
        case 303: method != .get && method != .head
        case 300, 301, 302: method == .post
        default: false
        }
    }

    private static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        guard let left = try? RequestTarget(a), let right = try? RequestTarget(b) else { return false }
        return left.scheme == right.scheme && left.host == right.host && left.port == right.port
    }
}
