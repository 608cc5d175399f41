import CourierCache
import CourierCore
import FoundationEssentials
import Testing

@Suite("Cache decisions (request + stored head + now)")
struct CachePolicyTests {
    let fresh = Heads.head(["Cache-Control": "max-age=100", "Date": Heads.date(0), "ETag": "\"v1\""])

    func decide(_ request: HTTPRequest, _ stored: CachedResponseHead?, at seconds: Double) -> CacheDecision {
        CachePolicy.decide(request: request, stored: stored, now: Heads.t0 + seconds)
    }

    func decide(_ stored: CachedResponseHead?, at seconds: Double) -> CacheDecision {
        decide(Heads.request(), stored, at: seconds)
    }

    @Test("A fresh response is used until its lifetime has passed, then validated with its ETag")
    func freshThenStale() {
        #expect(decide(fresh, at: 0) == .useStored(age: 0, stale: false))
        #expect(decide(fresh, at: 99.5) == .useStored(age: 99, stale: false))
        #expect(decide(fresh, at: 100) == .validate(conditions: ["If-None-Match": "\"v1\""]))
    }

    @Test("Nothing stored: the network, or 504 under only-if-cached")
    func nothingStored() {
        #expect(decide(nil, at: 0) == .network)
        #expect(decide(Heads.request(["Cache-Control": "only-if-cached"]), nil, at: 0) == .unsatisfiable)
    }

    @Test("Stale with neither ETag nor Last-Modified goes to the network unconditionally")
    func noValidators() {
        #expect(decide(Heads.head(["Cache-Control": "max-age=1"]), at: 5) == .validate(conditions: [:]))
    }

    @Test("Last-Modified becomes If-Modified-Since; both validators are sent together")
    func lastModified() {
        let lastModified = Heads.date(-10)
        let head = Heads.head(["Cache-Control": "max-age=1", "Last-Modified": lastModified, "ETag": "\"x\""])
        #expect(
            decide(head, at: 5)
                == .validate(conditions: ["If-None-Match": "\"x\"", "If-Modified-Since": lastModified]))
    }

    @Test("Response no-cache and request no-cache (or Pragma: no-cache alone) validate even a fresh response")
    func noCache() {
        let noCache = Heads.head(["Cache-Control": "no-cache, max-age=100", "ETag": "\"v1\""])
        #expect(decide(noCache, at: 0) == .validate(conditions: ["If-None-Match": "\"v1\""]))
        #expect(
            decide(Heads.request(["Cache-Control": "no-cache"]), fresh, at: 0)
                == .validate(conditions: ["If-None-Match": "\"v1\""]))
        #expect(
            decide(Heads.request(["Pragma": "no-cache"]), fresh, at: 0)
                == .validate(conditions: ["If-None-Match": "\"v1\""]))
        #expect(decide(Heads.request(["Pragma": "no-cache", "Cache-Control": "max-stale"]), fresh, at: 0).isHit)
    }

    @Test("Request max-age and min-fresh shorten what counts as fresh")
    func requestLimits() {
        #expect(decide(Heads.request(["Cache-Control": "max-age=10"]), fresh, at: 9).isHit)
        #expect(!decide(Heads.request(["Cache-Control": "max-age=10"]), fresh, at: 10).isHit)
        #expect(!decide(Heads.request(["Cache-Control": "max-age=0"]), fresh, at: 0).isHit)
        #expect(decide(Heads.request(["Cache-Control": "min-fresh=50"]), fresh, at: 49).isHit)
        #expect(!decide(Heads.request(["Cache-Control": "min-fresh=50"]), fresh, at: 50).isHit)
    }

    @Test("max-stale accepts a stale response, except one that says must-revalidate")
    func maxStale() {
        #expect(
            decide(Heads.request(["Cache-Control": "max-stale=60"]), fresh, at: 150)
                == .useStored(age: 150, stale: true))
        #expect(!decide(Heads.request(["Cache-Control": "max-stale=60"]), fresh, at: 160).isHit)
        #expect(decide(Heads.request(["Cache-Control": "max-stale"]), fresh, at: 1e9).isHit)
        let strict = Heads.head(["Cache-Control": "max-age=100, must-revalidate", "ETag": "\"v1\""])
        #expect(!decide(Heads.request(["Cache-Control": "max-stale"]), strict, at: 150).isHit)
    }

    @Test("only-if-cached takes a fresh response, and 504 instead of a validation")
    func onlyIfCached() {
        let request = Heads.request(["Cache-Control": "only-if-cached"])
        #expect(decide(request, fresh, at: 10).isHit)
        #expect(decide(request, fresh, at: 200) == .unsatisfiable)
        var forced = Heads.request()
        forced.cacheMode = .forceCache
        #expect(decide(forced, fresh, at: 1e6).isHit)
        #expect(decide(forced, nil, at: 0) == .unsatisfiable)
    }

    @Test("Vary: the stored response answers only requests with the same values; Vary: * answers none")
    func vary() {
        let head = Heads.head(
            ["Cache-Control": "max-age=100", "Vary": "Accept-Language, Accept"],
            varying: ["Accept-Language": "en, fr"])
        #expect(decide(Heads.request(["Accept-Language": "en,fr"]), head, at: 0).isHit)
        #expect(decide(Heads.request(["Accept-Language": "de"]), head, at: 0) == .network)
        #expect(decide(Heads.request(), head, at: 0) == .network)
        #expect(decide(Heads.request(["Accept-Language": "en, fr", "Accept": "*/*"]), head, at: 0) == .network)
        let star = Heads.head(["Cache-Control": "max-age=100", "Vary": "*"])
        #expect(decide(star, at: 0) == .network)
    }

    @Test("The cache answers a request's own If-None-Match or If-Modified-Since from a fresh response")
    func ownConditions() {
        #expect(decide(Heads.request(["If-None-Match": "\"v0\", W/\"v1\""]), fresh, at: 0) == .notModified(age: 0))
        #expect(decide(Heads.request(["If-None-Match": "*"]), fresh, at: 0) == .notModified(age: 0))
        #expect(decide(Heads.request(["If-None-Match": "\"v0\""]), fresh, at: 0) == .useStored(age: 0, stale: false))
        let modified = Heads.head(["Cache-Control": "max-age=100", "Last-Modified": Heads.date(-100)])
        #expect(decide(Heads.request(["If-Modified-Since": Heads.date(-50)]), modified, at: 0) == .notModified(age: 0))
        #expect(decide(Heads.request(["If-Modified-Since": Heads.date(-150)]), modified, at: 0).isHit)
        // Stale, or with preconditions only the origin evaluates: the request goes as it is.
        #expect(decide(Heads.request(["If-None-Match": "\"v1\""]), fresh, at: 200) == .network)
        #expect(decide(Heads.request(["If-Match": "\"v1\""]), fresh, at: 0) == .network)
    }

    @Test("stale-while-revalidate serves a stale response within its window and asks for revalidation")
    func staleWhileRevalidate() {
        let head = Heads.head(["Cache-Control": "max-age=10, stale-while-revalidate=20", "ETag": "\"s\""])
        #expect(decide(head, at: 5) == .useStored(age: 5, stale: false))
        #expect(decide(head, at: 15) == .useStoredAndRevalidate(age: 15, conditions: ["If-None-Match": "\"s\""]))
        #expect(decide(head, at: 30) == .validate(conditions: ["If-None-Match": "\"s\""]))
        #expect(
            decide(Heads.request(["Cache-Control": "no-cache"]), head, at: 15)
                == .validate(conditions: ["If-None-Match": "\"s\""]))
        #expect(decide(Heads.request(["Cache-Control": "only-if-cached"]), head, at: 15) == .unsatisfiable)
        let strict = Heads.head(["Cache-Control": "max-age=10, stale-while-revalidate=20, must-revalidate"])
        #expect(decide(strict, at: 15) == .validate(conditions: [:]))
    }

    @Test("Only GET reads the cache; a Range request, with or without If-Range, is decided like any GET")
    func passThrough() {
        #expect(decide(Heads.request(["Range": "bytes=0-1"]), fresh, at: 0) == .useStored(age: 0, stale: false))
        #expect(
            decide(Heads.request(["Range": "bytes=0-1", "If-Range": "\"v0\""]), fresh, at: 0)
                == .useStored(age: 0, stale: false))
        #expect(
            decide(Heads.request(["Range": "bytes=0-1"]), fresh, at: 100)
                == .validate(conditions: ["If-None-Match": "\"v1\""]))
        #expect(decide(Heads.request(["Range": "bytes=0-1", "If-Match": "\"v1\""]), fresh, at: 0) == .network)
        #expect(decide(Heads.request(method: .post), fresh, at: 0) == .network)
        #expect(decide(Heads.request(method: .head), fresh, at: 0) == .network)
        let other = Heads.head(["Cache-Control": "max-age=100"], url: URL(string: "http://example.com/other")!)
        #expect(decide(other, at: 0) == .network)
    }

    @Test("stale-if-error allows a stale response while the allowance lasts, never under must-revalidate")
    func staleIfError() {
        let head = Heads.head(["Cache-Control": "max-age=10, stale-if-error=60"])
        #expect(CachePolicy.mayServeStaleOnError(request: Heads.request(), stored: head, now: Heads.t0 + 69))
        #expect(!CachePolicy.mayServeStaleOnError(request: Heads.request(), stored: head, now: Heads.t0 + 70))
        let plain = Heads.head(["Cache-Control": "max-age=10"])
        #expect(!CachePolicy.mayServeStaleOnError(request: Heads.request(), stored: plain, now: Heads.t0 + 11))
        #expect(
            CachePolicy.mayServeStaleOnError(
                request: Heads.request(["Cache-Control": "stale-if-error=5"]), stored: plain, now: Heads.t0 + 11))
        let strict = Heads.head(["Cache-Control": "max-age=10, stale-if-error=60, must-revalidate"])
        #expect(!CachePolicy.mayServeStaleOnError(request: Heads.request(), stored: strict, now: Heads.t0 + 11))
    }
}

@Suite("Storability and invalidation (RFC 9111 §3, §4.4)")
struct StorabilityTests {
    func storable(
        status: Int = 200, _ headers: HTTPHeaders, request: HTTPRequest = Heads.request()
    ) -> Bool {
        CachePolicy.isStorable(request: request, status: HTTPStatus(code: status), headers: headers)
    }

    @Test("Explicit freshness, public, private or a heuristically cacheable code make a response storable")
    func reusable() {
        #expect(storable(["Cache-Control": "max-age=1"]))
        #expect(storable(status: 302, ["Cache-Control": "max-age=1"]))
        #expect(storable(status: 500, ["Expires": "0"]))
        #expect(storable(status: 302, ["Cache-Control": "private"]))
        #expect(storable(status: 302, ["Cache-Control": "public"]))
        #expect(storable([:]))
        #expect(storable(status: 404, [:]))
        #expect(!storable(status: 302, [:]))
        #expect(!storable(status: 500, [:]))
    }

    @Test("no-store on either side, 206, 304, 1xx and Vary: * are never stored; POST is not stored")
    func never() {
        #expect(!storable(["Cache-Control": "no-store, max-age=100"]))
        #expect(!storable(["Cache-Control": "max-age=100"], request: Heads.request(["Cache-Control": "no-store"])))
        #expect(!storable(status: 206, ["Cache-Control": "max-age=100"]))
        #expect(!storable(status: 304, ["Cache-Control": "max-age=100"]))
        #expect(!storable(status: 101, ["Cache-Control": "max-age=100"]))
        #expect(!storable(["Cache-Control": "max-age=100", "Vary": "*"]))
        #expect(!storable(["Cache-Control": "max-age=100"], request: Heads.request(method: .post)))
    }

    @Test("must-understand overrides no-store for understood codes only")
    func mustUnderstand() {
        #expect(storable(["Cache-Control": "must-understand, no-store, max-age=100"]))
        #expect(!storable(status: 299, ["Cache-Control": "must-understand, no-store, max-age=100"]))
    }

    @Test("A request with Authorization is stored only when the response says public, s-maxage or must-revalidate")
    func authorization() {
        let request = Heads.request(["Authorization": "Basic dTpw"])
        #expect(!storable(["Cache-Control": "max-age=100"], request: request))
        #expect(storable(["Cache-Control": "max-age=100, public"], request: request))
        #expect(storable(["Cache-Control": "s-maxage=100"], request: request))
        #expect(storable(["Cache-Control": "max-age=100, must-revalidate"], request: request))
    }

    @Test("An unsafe method that succeeded invalidates its URL and same-origin Location and Content-Location")
    func invalidation() {
        let request = Heads.request(method: .post)
        let urls = CachePolicy.invalidatedURLs(
            request: request, status: HTTPStatus(code: 201),
            headers: ["Location": "/created", "Content-Location": "http://other.example/x"])
        #expect(urls.map(\.absoluteString) == ["http://example.com/resource", "http://example.com/created"])
        #expect(
            CachePolicy.invalidatedURLs(request: request, status: HTTPStatus(code: 500), headers: [:]).isEmpty)
        #expect(
            CachePolicy.invalidatedURLs(request: Heads.request(), status: HTTPStatus(code: 200), headers: [:]).isEmpty)
        #expect(
            CachePolicy.invalidatedURLs(
                request: Heads.request(method: .delete), status: HTTPStatus(code: 204), headers: [:]
            ).count == 1)
    }

    @Test("A 304 replaces stored fields it carries, except Content-Length and connection-specific ones")
    func merge() {
        let stored: HTTPHeaders = [
            "Content-Type": "text/plain", "Content-Length": "5", "ETag": "\"a\"", "X-Kept": "1",
            "Cache-Control": "max-age=1",
        ]
        var notModified: HTTPHeaders = [
            "Content-Length": "0", "ETag": "\"a\"", "Cache-Control": "max-age=60", "Connection": "close, X-Hop",
            "X-Hop": "1", "Keep-Alive": "timeout=5", "X-New": "2",
        ]
        notModified.add("X-New", "3")
        let merged = StoredFields.merged(stored: stored, notModified: notModified)
        #expect(merged["Content-Length"] == "5")
        #expect(merged["Cache-Control"] == "max-age=60")
        #expect(merged["X-Kept"] == "1")
        #expect(merged.values(for: "X-New") == ["2", "3"])
        #expect(merged["X-Hop"] == nil)
        #expect(merged["Keep-Alive"] == nil)
        #expect(merged["Connection"] == nil)
    }
}

extension CacheDecision {
    var isHit: Bool {
        if case .useStored = self { return true }
        return false
    }
}
