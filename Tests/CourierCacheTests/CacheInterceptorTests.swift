import CourierCache
import CourierCore
import FoundationEssentials
import Testing

@Suite("Cache interceptor over an in-memory store")
struct CacheInterceptorTests {
    @Test("A fresh response is stored as it streams and then served without the origin, with Age")
    func freshHit() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "Content-Type": "text/plain"], "hello")
        let (first, firstBody) = try await harness.fetch()
        #expect(firstBody == "hello")
        #expect(first.networkResponse?.status.code == 200)
        #expect(first.cacheResponse == nil)
        harness.clock.advance(by: 30)
        let (second, secondBody) = try await harness.fetch()
        #expect(secondBody == "hello")
        #expect(second.headers["Age"] == "30")
        #expect(second.headers["Content-Type"] == "text/plain")
        #expect(second.cacheResponse?.status.code == 200)
        #expect(second.networkResponse == nil)
        #expect(harness.origin.requests.count == 1)
        #expect(harness.cache.requestCount == 2)
        #expect(harness.cache.hitCount == 1)
        #expect(harness.cache.networkCount == 1)
        #expect(harness.events.names == ["cacheMiss", "cacheHit"])
        #expect(harness.store.openSnapshots == 0)
        #expect(harness.store.openEdits == 0)
    }

    @Test("A stale response is revalidated; a 304 serves the stored body and refreshes the stored head")
    func revalidation() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10", "ETag": "\"v1\"", "X-Version": "1"], "body")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(304, ["Cache-Control": "max-age=100", "ETag": "\"v1\"", "X-Version": "2"])
        let (revalidated, body) = try await harness.fetch()
        #expect(revalidated.status.code == 200)
        #expect(body == "body")
        #expect(revalidated.headers["X-Version"] == "2")
        #expect(revalidated.networkResponse?.status.code == 304)
        #expect(revalidated.cacheResponse?.headers["X-Version"] == "1")
        #expect(harness.origin.requests.last?.headers["If-None-Match"] == "\"v1\"")
        // The refreshed head makes the next request a plain hit.
        harness.clock.advance(by: 50)
        let (third, thirdBody) = try await harness.fetch()
        #expect(thirdBody == "body")
        #expect(third.headers["Age"] == "50")
        #expect(harness.origin.requests.count == 2)
        #expect(harness.cache.hitCount == 2)
        #expect(harness.cache.networkCount == 2)
        #expect(harness.events.names == ["cacheMiss", "cacheConditionalHit", "cacheHit", "cacheHit"])
    }

    @Test("A validation answered with a new 200 replaces the stored response")
    func replaced() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10", "ETag": "\"v1\""], "old")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(200, ["Cache-Control": "max-age=10", "ETag": "\"v2\""], "new")
        let (replaced, body) = try await harness.fetch()
        #expect(body == "new")
        #expect(replaced.cacheResponse != nil)
        #expect(replaced.networkResponse?.status.code == 200)
        let (_, again) = try await harness.fetch()
        #expect(again == "new")
        #expect(harness.origin.requests.count == 2)
        #expect(harness.events.names == ["cacheMiss", "cacheConditionalHit", "cacheMiss", "cacheHit"])
    }

    @Test("no-store responses are never stored")
    func noStore() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "no-store, max-age=60"], "secret")
        harness.origin.respond(200, ["Cache-Control": "no-store, max-age=60"], "secret")
        _ = try await harness.fetch()
        _ = try await harness.fetch()
        #expect(harness.origin.requests.count == 2)
        #expect(try await harness.store.size() == 0)
    }

    @Test("A successful POST invalidates the stored response of its URL and its Location")
    func postInvalidates() async throws {
        let harness = CacheHarness()
        let other = URL(string: "http://example.com/other")!
        harness.origin.respond(200, ["Cache-Control": "max-age=60"], "a")
        harness.origin.respond(200, ["Cache-Control": "max-age=60"], "b")
        _ = try await harness.fetch()
        _ = try await harness.send(HTTPRequest(url: other)).body.string()
        #expect(harness.store.keys.count == 2)
        harness.origin.respond(201, ["Location": "/other"], "made")
        _ = try await harness.send(HTTPRequest(method: .post, url: harness.url, body: .string("x"))).body.string()
        #expect(harness.store.keys.isEmpty)
    }

    @Test("only-if-cached with nothing stored is a 504 that never reaches the origin")
    func onlyIfCached() async throws {
        let harness = CacheHarness()
        var request = HTTPRequest(url: harness.url)
        request.cacheMode = .forceCache
        let response = try await harness.send(request)
        #expect(response.status.code == 504)
        #expect(harness.origin.requests.isEmpty)
        #expect(harness.events.names == ["satisfactionFailure"])
    }

    @Test("A body abandoned, failed or larger than the store is not stored, and the caller still gets it")
    func notStored() async throws {
        let harness = CacheHarness(maxSize: 1000)
        let headers: HTTPHeaders = ["Cache-Control": "max-age=60"]
        harness.origin.enqueue(.stream(status: 200, headers: headers, chunks: [[1, 2], [3]], failure: false))
        let abandoned = try await harness.get()
        var iterator = abandoned.body.makeAsyncIterator()
        _ = try await iterator.next()
        await abandoned.body.source?.abandon()
        #expect(harness.store.keys.isEmpty)
        #expect(harness.store.openEdits == 0)

        harness.origin.enqueue(.stream(status: 200, headers: headers, chunks: [[1, 2], [3]], failure: true))
        await #expect(throws: ScriptedOrigin.Failed.self) { try await harness.get().body.collect(upTo: 100) }
        #expect(harness.store.keys.isEmpty)

        let big = [UInt8](repeating: 7, count: 600)
        harness.origin.enqueue(.stream(status: 200, headers: headers, chunks: [big, big], failure: false))
        #expect(try await harness.get().body.collect(upTo: 2000) == big + big)
        var announced = headers
        announced["Content-Length"] = "1200"
        harness.origin.enqueue(.stream(status: 200, headers: announced, chunks: [big, big], failure: false))
        #expect(try await harness.get().body.collect(upTo: 2000).count == 1200)
        #expect(harness.store.keys.isEmpty)
        #expect(harness.store.openEdits == 0)
        #expect(harness.origin.requests.count == 4)
    }

    @Test("A dropped response aborts its entry")
    func dropped() async throws {
        let harness = CacheHarness()
        harness.origin.enqueue(
            .stream(status: 200, headers: ["Cache-Control": "max-age=60"], chunks: [[1], [2]], failure: false))
        _ = try await harness.get()
        // The abort runs in a task the dropped body started.
        for _ in 0..<1000 where harness.store.openEdits > 0 { await Task.yield() }
        #expect(harness.store.openEdits == 0)
        #expect(harness.store.keys.isEmpty)
    }

    @Test("Corrupt stored metadata is a miss, and the entry is written again")
    func corrupt() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60"], "one")
        harness.origin.respond(200, ["Cache-Control": "max-age=60"], "two")
        _ = try await harness.fetch()
        harness.store.corrupt(harness.key, metadata: Array("garbage".utf8))
        let (_, body) = try await harness.fetch()
        #expect(body == "two")
        let (_, cached) = try await harness.fetch()
        #expect(cached == "two")
        #expect(harness.origin.requests.count == 2)
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("Vary: a request with other values of the named fields goes to the origin")
    func vary() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "Vary": "Accept-Language"], "en")
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "Vary": "Accept-Language"], "fr")
        #expect(try await harness.fetch(["Accept-Language": "en"]).1 == "en")
        #expect(try await harness.fetch(["Accept-Language": "en"]).1 == "en")
        #expect(try await harness.fetch(["Accept-Language": "fr"]).1 == "fr")
        #expect(harness.origin.requests.count == 2)
    }

    @Test("stale-if-error serves the stale response when revalidation fails or answers 5xx")
    func staleIfError() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10, stale-if-error=100", "ETag": "\"a\""], "kept")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.enqueue(.fail)
        #expect(try await harness.fetch().1 == "kept")
        harness.origin.respond(503, [:], "down")
        let (response, body) = try await harness.fetch()
        #expect(response.status.code == 200)
        #expect(body == "kept")
        harness.clock.advance(by: 100)
        harness.origin.enqueue(.fail)
        await #expect(throws: ScriptedOrigin.Failed.self) { try await harness.fetch() }
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("forceNetwork revalidates a fresh response; evictAll and remove(url) empty the store")
    func controls() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "ETag": "\"a\""], "x")
        _ = try await harness.fetch()
        var request = HTTPRequest(url: harness.url)
        request.cacheMode = .forceNetwork
        harness.origin.respond(304, [:])
        #expect(try await harness.send(request).body.string() == "x")
        #expect(harness.origin.requests.last?.headers["If-None-Match"] == "\"a\"")
        #expect(try await harness.cache.size > 0)
        try await harness.cache.remove(harness.url)
        #expect(try await harness.cache.size == 0)
        harness.origin.respond(200, ["Cache-Control": "max-age=60"], "y")
        _ = try await harness.fetch()
        try await harness.cache.evictAll()
        #expect(try await harness.cache.size == 0)
    }

    @Test("stale-while-revalidate answers at once and stores what the background revalidation brings")
    func staleWhileRevalidate() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10, stale-while-revalidate=60", "ETag": "\"a\""], "old")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(200, ["Cache-Control": "max-age=100", "ETag": "\"b\""], "new")
        let (stale, body) = try await harness.fetch()
        #expect(body == "old")
        #expect(stale.headers["Age"] == "20")
        await harness.cache.backgroundWorkFinished()
        #expect(harness.origin.requests.last?.headers["If-None-Match"] == "\"a\"")
        #expect(try await harness.fetch().1 == "new")
        #expect(harness.origin.requests.count == 2)
        #expect(harness.events.names == ["cacheMiss", "cacheHit", "cacheHit"])
        #expect(harness.store.openEdits == 0)
    }

    @Test("A request's own matching If-None-Match gets a 304 from a fresh stored response")
    func ownConditional() async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200, ["Cache-Control": "max-age=60", "ETag": "\"a\"", "Content-Type": "text/plain"], "x")
        _ = try await harness.fetch()
        let response = try await harness.get(["If-None-Match": "\"a\""])
        #expect(response.status.code == 304)
        #expect(response.headers["ETag"] == "\"a\"")
        #expect(response.headers["Content-Type"] == nil)
        #expect(harness.origin.requests.count == 1)
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("stale-if-error also covers a stale response without validators, fetched again unconditionally")
    func staleIfErrorWithoutValidators() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=2, stale-if-error=60"], "kept")
        _ = try await harness.fetch()
        harness.clock.advance(by: 3)
        harness.origin.respond(503, [:], "down")
        let (response, body) = try await harness.fetch()
        #expect(response.status.code == 200)
        #expect(body == "kept")
        #expect(harness.origin.requests.last?.headers["If-None-Match"] == nil)
        harness.origin.respond(200, ["Cache-Control": "max-age=2"], "fresh")
        #expect(try await harness.fetch().1 == "fresh")
        #expect(harness.events.names == ["cacheMiss", "cacheHit", "cacheMiss"])
    }

    @Test("A 304 does not refresh an entry another call replaced while the validation was under way")
    func refreshRace() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10", "ETag": "\"a\""], "first")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        // While the validation is at the origin, another call stores a new response.
        let replacement = CachedResponseHead(
            url: harness.url.absoluteString, method: .get, status: .ok, version: .http1_1,
            headers: ["Cache-Control": "max-age=100", "ETag": "\"b\""], varyingRequestHeaders: [:],
            requestTime: harness.clock.now, responseTime: harness.clock.now, tlsHandshake: nil)
        let store = harness.store
        let key = harness.key
        harness.origin.beforeNextAnswer {
            let editor = try? await store.edit(key)
            try? await editor?.writeMetadata(CachedResponseHeadCoding.encode(replacement))
            try? await editor?.appendBody(Array("second".utf8))
            try? await editor?.commit()
        }
        harness.origin.respond(304, ["Cache-Control": "max-age=100", "ETag": "\"a\""])
        // The caller still gets the response it validated ...
        #expect(try await harness.fetch().1 == "first")
        // ... and the store keeps the other call's response whole, not the old head over its body.
        let (next, body) = try await harness.fetch()
        #expect(body == "second")
        #expect(next.headers["ETag"] == "\"b\"")
        #expect(harness.origin.requests.count == 2)
    }

    @Test("An entry whose body is shorter than its Content-Length is a miss")
    func truncatedEntry() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "Content-Length": "5"], "whole")
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "Content-Length": "5"], "again")
        _ = try await harness.fetch()
        harness.store.truncate(harness.key, to: 2)
        #expect(try await harness.fetch().1 == "again")
        #expect(harness.origin.requests.count == 2)
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("A qualified no-cache=\"…\" serves the response without validation, minus the fields it names")
    func qualifiedNoCache() async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200, ["Cache-Control": "max-age=60, no-cache=\"X-Secret\"", "X-Secret": "s", "X-Kept": "k"], "x")
        let (first, _) = try await harness.fetch()
        #expect(first.headers["X-Secret"] == "s")
        let (hit, body) = try await harness.fetch()
        #expect(body == "x")
        #expect(hit.headers["X-Secret"] == nil)
        #expect(hit.headers["X-Kept"] == "k")
        #expect(harness.origin.requests.count == 1)
    }
}
