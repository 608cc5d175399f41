package import CourierCore
package import FoundationEssentials

/// What the cache does with a request, given what it holds: OkHttp's `CacheStrategy` as a value.
package enum CacheDecision: Sendable, Equatable {
    /// Answer from the stored response without the network. `age` goes in its `Age` field;
    /// `stale` when only the request's `max-stale` made it acceptable.
    case useStored(age: Int, stale: Bool)
    /// Ask the origin whether the stored response is still good, adding `conditions`
    /// (`If-None-Match`, `If-Modified-Since`) to the request.
    case validate(conditions: HTTPHeaders)
    /// Nothing stored is usable: send the request as it is.
    case network
    /// `only-if-cached` and nothing usable: answer 504 without the network (RFC 9111 §5.2.1.7).
    case unsatisfiable
}

/// The rules of RFC 9111 for a private cache, as pure functions of the request, the stored
/// head and the time: the interceptor asks, then does what the answer says.
package enum CachePolicy {
    /// Whether the cache may read a stored response for `method` (it stores only GET responses).
    package static func readsCache(for method: HTTPMethod) -> Bool { method == .get }

    /// Decides how to answer `request` at `now` with `stored`, the head kept under the request's
    /// key (not yet checked against the request's URL or `Vary`).
    package static func decide(request: HTTPRequest, stored: CachedResponseHead?, now: Date) -> CacheDecision {
        let requestControl = CacheControl(request.headers)
        guard readsCache(for: request.method), let stored, stored.method == .get,
            stored.url == request.url.absoluteString, Vary.matches(stored, request),
            !hasOwnConditions(request)
        else { return requestControl.onlyIfCached ? .unsatisfiable : .network }

        let responseControl = CacheControl(stored.headers)
        let freshness = Freshness(stored, now: now)
        let noCache =
            requestControl.noCache || responseControl.noCache
            || (!request.headers.contains("Cache-Control") && request.headers.containsToken("no-cache", in: "Pragma"))
        if !noCache {
            var lifetime = freshness.lifetime
            if let maxAge = requestControl.maxAge { lifetime = min(lifetime, Double(maxAge)) }
            let minFresh = Double(requestControl.minFresh ?? 0)
            let maxStale = responseControl.mustRevalidate ? 0 : Double(requestControl.maxStale ?? 0)
            if freshness.age + minFresh < lifetime + maxStale {
                return .useStored(age: ageField(freshness.age), stale: !freshness.isFresh)
            }
        }
        if requestControl.onlyIfCached { return .unsatisfiable }
        let conditions = validators(of: stored)
        return conditions.isEmpty ? .network : .validate(conditions: conditions)
    }

    /// A request that carries its own preconditions wants the origin's answer to them; the
    /// cache passes it through (as OkHttp does) rather than evaluating them against what it holds.
    private static func hasOwnConditions(_ request: HTTPRequest) -> Bool {
        ["If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range"].contains {
            request.headers.contains($0)
        }
    }

    /// `If-None-Match` from the stored `ETag` and `If-Modified-Since` from its `Last-Modified`
    /// (RFC 9111 §4.3.1), both when both are there: a server that ignores entity tags still
    /// answers the date.
    package static func validators(of stored: CachedResponseHead) -> HTTPHeaders {
        var conditions = HTTPHeaders()
        if let etag = stored.headers["ETag"] { conditions.add("If-None-Match", etag) }
        if let lastModified = stored.headers["Last-Modified"] { conditions.add("If-Modified-Since", lastModified) }
        return conditions
    }

    /// The `Age` field value of a served response: whole seconds, capped as §1.2.2 says.
    package static func ageField(_ age: Double) -> Int {
        guard age.isFinite, age > 0 else { return 0 }
        return age >= Double(CacheControl.maximumDelta) ? CacheControl.maximumDelta : Int(age)
    }

    /// Codes whose semantics the cache implements, for `must-understand` (RFC 9111 §5.2.2.3).
    private static let understood: Set<Int> = [200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]

    /// Whether a response with `status` and `headers` to `request` may be stored (RFC 9111 §3)
    /// by a private cache: a GET, a final status other than 206 and 304, no `no-store` on either
    /// side (unless `must-understand` with a code the cache understands), `Authorization` only
    /// with `public`, `s-maxage` or `must-revalidate` (§3.5), no `Vary: *`, and something that
    /// makes it reusable: explicit freshness, `public`, `private`, or a heuristically cacheable code.
    package static func isStorable(request: HTTPRequest, status: HTTPStatus, headers: HTTPHeaders) -> Bool {
        guard readsCache(for: request.method), (200...599).contains(status.code), status.code != 206,
            status.code != 304
        else { return false }
        let requestControl = CacheControl(request.headers)
        let control = CacheControl(headers)
        if requestControl.noStore { return false }
        if control.mustUnderstand {
            guard understood.contains(status.code) else { return false }
        } else if control.noStore {
            return false
        }
        if request.headers.contains("Authorization")
            && !(control.isPublic || control.sMaxAge != nil || control.mustRevalidate)
        {
            return false
        }
        if Vary.fieldNames(headers).contains("*") { return false }
        return control.maxAge != nil || headers.contains("Expires") || control.isPublic || control.isPrivate
            || Freshness.heuristicallyCacheable.contains(status.code)
    }

    /// The URLs whose stored responses an unsafe request invalidates (RFC 9111 §4.4): its own,
    /// and those its `Location` and `Content-Location` name on the same origin, once the
    /// response says it succeeded (2xx or 3xx). Nothing for safe methods.
    package static func invalidatedURLs(request: HTTPRequest, status: HTTPStatus, headers: HTTPHeaders) -> [URL] {
        guard !["GET", "HEAD", "OPTIONS", "TRACE"].contains(request.method.rawValue),
            (200..<400).contains(status.code)
        else { return [] }
        var urls = [request.url]
        for name in ["Location", "Content-Location"] {
            guard let value = headers[name], let url = URL(string: value, relativeTo: request.url)?.absoluteURL,
                sameOrigin(url, request.url)
            else { continue }
            urls.append(url)
        }
        return urls
    }

    private static func sameOrigin(_ a: URL, _ b: URL) -> Bool {
        guard let first = try? RequestTarget(a), let second = try? RequestTarget(b) else { return false }
        return first.scheme == second.scheme && first.host == second.host && first.port == second.port
    }

    /// Whether `stale`, which validation could not refresh because the origin failed (an error
    /// or a 5xx), may be served anyway under `stale-if-error` (RFC 5861 §4) from the response or
    /// the request.
    package static func mayServeStaleOnError(request: HTTPRequest, stored: CachedResponseHead, now: Date) -> Bool {
        let responseControl = CacheControl(stored.headers)
        guard !responseControl.mustRevalidate, !responseControl.noCache else { return false }
        let allowance = max(
            CacheControl(request.headers).staleIfError ?? 0, responseControl.staleIfError ?? 0)
        let freshness = Freshness(stored, now: now)
        return freshness.age < freshness.lifetime + Double(allowance)
    }
}
