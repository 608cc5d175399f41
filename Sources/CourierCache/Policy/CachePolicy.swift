package import CourierCore
package import FoundationEssentials

/// What the cache does with a request, given what it holds: OkHttp's `CacheStrategy` as a value.
package enum CacheDecision: Sendable, Equatable {
    /// Answer from the stored response without the network. `age` goes in its `Age` field;
    /// `stale` when only the request's `max-stale` made it acceptable.
    case useStored(age: Int, stale: Bool)
    /// Answer from the stale stored response at once and revalidate it in the background, with
    /// `conditions` (possibly none), as `stale-while-revalidate` allows (RFC 5861 §3).
    case useStoredAndRevalidate(age: Int, conditions: HTTPHeaders)
    /// Answer the request's own `If-None-Match` / `If-Modified-Since` with a 304 made from the
    /// stored response, without the network (RFC 9111 §4.3.2).
    case notModified(age: Int)
    /// Ask the origin whether the stored response is still good, adding `conditions`
    /// (`If-None-Match`, `If-Modified-Since`) to the request. Without validators the request goes
    /// unconditionally, but the stored response still stands in if the origin fails and
    /// `stale-if-error` allows it.
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
        let conditions = RequestConditions(request.headers)
        // A Range request is decided like any other GET: a stored response it may use answers it
        // with the range cut out (``RangeAnswer``), and a validation forwards the Range as it is.
        guard readsCache(for: request.method), let stored, stored.method == .get,
            stored.url == request.url.absoluteString, Vary.matches(stored, request), conditions.cacheMayEvaluate
        else { return requestControl.onlyIfCached ? .unsatisfiable : .network }

        if let (age, stale) = usable(stored, request: request, requestControl: requestControl, now: now) {
            return conditions.matches(stored) ? .notModified(age: age) : .useStored(age: age, stale: stale)
        }
        // only-if-cached forbids the network, the background revalidation included.
        if conditions.isEmpty, !requestControl.onlyIfCached,
            let age = withinStaleWhileRevalidate(stored, request: request, requestControl: requestControl, now: now)
        {
            return .useStoredAndRevalidate(age: age, conditions: validators(of: stored))
        }
        if requestControl.onlyIfCached { return .unsatisfiable }
        // The caller's own preconditions go to the origin as they are.
        guard conditions.isEmpty else { return .network }
        return .validate(conditions: validators(of: stored))
    }

    /// The age to report and whether it is stale, when `stored` may answer `request` without
    /// the origin (§4.2, §5.2.1): fresh enough for the request's `max-age` and `min-fresh`, or
    /// stale within its `max-stale` unless the response says `must-revalidate`; never under
    /// `no-cache` on either side (or a request's `Pragma: no-cache` without `Cache-Control`).
    private static func usable(
        _ stored: CachedResponseHead, request: HTTPRequest, requestControl: CacheControl, now: Date
    ) -> (Int, Bool)? {
        let responseControl = stored.control
        let noCache =
            requestControl.noCache || responseControl.noCache
            || (!request.headers.contains("Cache-Control") && request.headers.containsToken("no-cache", in: "Pragma"))
        guard !noCache else { return nil }
        let freshness = Freshness(stored, now: now)
        var lifetime = freshness.lifetime
        if let maxAge = requestControl.maxAge { lifetime = min(lifetime, Double(maxAge)) }
        let minFresh = Double(requestControl.minFresh ?? 0)
        let maxStale = responseControl.mustRevalidate ? 0 : Double(requestControl.maxStale ?? 0)
        guard freshness.age + minFresh < lifetime + maxStale else { return nil }
        return (ageField(freshness.age), !freshness.isFresh)
    }

    /// The age to report when `stored` is stale but within its `stale-while-revalidate` window
    /// (RFC 5861 §3), unless either side asks for validation (`no-cache`, `must-revalidate`) or
    /// the request bounds the age it accepts: with `max-age` or `min-fresh` (and no `max-stale`,
    /// which ``usable`` has already weighed) it does not want a stale response (RFC 9111
    /// §5.2.1.1, §5.2.1.3). A browser's reload sends `max-age=0`.
    private static func withinStaleWhileRevalidate(
        _ stored: CachedResponseHead, request: HTTPRequest, requestControl: CacheControl, now: Date
    ) -> Int? {
        let responseControl = stored.control
        guard let window = responseControl.staleWhileRevalidate, !responseControl.noCache,
            !responseControl.mustRevalidate, !requestControl.noCache,
            requestControl.maxAge == nil, requestControl.minFresh == nil,
            !(!request.headers.contains("Cache-Control") && request.headers.containsToken("no-cache", in: "Pragma"))
        else { return nil }
        let freshness = Freshness(stored, now: now)
        guard freshness.age < freshness.lifetime + Double(window) else { return nil }
        return ageField(freshness.age)
    }

    /// Whether a 304 may refresh `stored`, the response the request validated (RFC 9111 §4.3.4):
    /// a strong entity-tag in the 304 must be the stored one, and a weak one must match it by weak
    /// comparison; a 304 without one refreshes it. A server that ignores `If-None-Match` and
    /// answers `If-Modified-Since` can name another representation in its 304, which must not
    /// be given the stored body.
    package static func notModifiedRefreshes(_ stored: CachedResponseHead, with notModified: HTTPHeaders) -> Bool {
        guard let tag = notModified["ETag"]?.trimmingCharacters(in: " \t") else { return true }
        guard let storedTag = stored.headers["ETag"]?.trimmingCharacters(in: " \t") else { return false }
        guard tag.hasPrefix("W/") else { return tag == storedTag }
        return RequestConditions.opaque(tag) == RequestConditions.opaque(storedTag)
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
        let responseControl = stored.control
        guard !responseControl.mustRevalidate, !responseControl.noCache else { return false }
        let allowance = max(
            CacheControl(request.headers).staleIfError ?? 0, responseControl.staleIfError ?? 0)
        let freshness = Freshness(stored, now: now)
        return freshness.age < freshness.lifetime + Double(allowance)
    }
}
