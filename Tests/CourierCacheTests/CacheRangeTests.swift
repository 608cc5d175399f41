import CourierCache
import CourierCore
import FoundationEssentials
import Testing

@Suite("Range requests through the cache interceptor over an in-memory store")
struct CacheRangeTests {
    @Test("A fresh stored 200 answers a Range with a 206 that reads only the range from the store")
    func partialHit() async throws {
        let harness = CacheHarness()
        let body = (0..<(200 << 10)).map { UInt8(truncatingIfNeeded: $0 * 7) }
        harness.origin.enqueue(.respond(status: 200, headers: ["Cache-Control": "max-age=60"], body: body))
        #expect(try await harness.get().body.collect(upTo: 1 << 20) == body)
        harness.clock.advance(by: 5)
        let response = try await harness.get(["Range": "bytes=100000-170000"])
        #expect(response.status.code == 206)
        #expect(response.headers["Content-Range"] == "bytes 100000-170000/204800")
        #expect(response.headers["Content-Length"] == "70001")
        #expect(response.headers["Age"] == "5")
        #expect(try await response.body.collect(upTo: 1 << 20) == Array(body[100000...170000]))
        #expect(harness.store.bodyBytesRead == 70001)
        #expect(response.cacheResponse?.status.code == 200)
        #expect(response.networkResponse == nil)
        #expect(harness.origin.requests.count == 1)
        #expect(harness.cache.hitCount == 1)
        #expect(harness.events.names == ["cacheMiss", "cacheHit"])
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("Suffix and open-ended ranges; the stored fields stay on the 206")
    func suffixAndOpen() async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200, ["Cache-Control": "max-age=60", "Content-Type": "text/plain", "A": "1"], "0123456789A")
        _ = try await harness.fetch()
        let (suffix, suffixBody) = try await harness.fetch(["Range": "bytes=-3"])
        #expect(suffixBody == "89A")
        #expect(suffix.headers["Content-Range"] == "bytes 8-10/11")
        #expect(suffix.headers["Content-Type"] == "text/plain")
        #expect(suffix.headers["A"] == "1")
        let (open, openBody) = try await harness.fetch(["Range": "bytes=5-"])
        #expect(open.status.code == 206)
        #expect(openBody == "56789A")
        #expect(open.headers["Content-Length"] == "6")
        #expect(harness.origin.requests.count == 1)
    }

    @Test("A range past the end is a 416 naming the length, without the network; disjoint ranges get the whole 200")
    func notSatisfiableAndSeveral() async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200, ["Cache-Control": "max-age=60", "ETag": "\"e\"", "Content-Type": "text/plain"], "0123456789A")
        _ = try await harness.fetch()
        let (unsatisfiable, empty) = try await harness.fetch(["Range": "bytes=11-"])
        #expect(unsatisfiable.status.code == 416)
        #expect(unsatisfiable.headers["Content-Range"] == "bytes */11")
        #expect(unsatisfiable.headers["Content-Length"] == "0")
        #expect(unsatisfiable.headers["ETag"] == "\"e\"")
        #expect(unsatisfiable.headers["Content-Type"] == nil)
        #expect(empty.isEmpty)
        let (several, whole) = try await harness.fetch(["Range": "bytes=0-1,5-6"])
        #expect(several.status.code == 200)
        #expect(several.headers["Content-Range"] == nil)
        #expect(whole == "0123456789A")
        #expect(harness.origin.requests.count == 1)
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("If-Range: the stored ETag honours the Range, another validator gets the whole stored response")
    func ifRange() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "ETag": "\"e\""], "0123456789A")
        _ = try await harness.fetch()
        let (matching, part) = try await harness.fetch(["Range": "bytes=0-1", "If-Range": "\"e\""])
        #expect(matching.status.code == 206)
        #expect(part == "01")
        let (changed, whole) = try await harness.fetch(["Range": "bytes=0-1", "If-Range": "\"old\""])
        #expect(changed.status.code == 200)
        #expect(whole == "0123456789A")
        #expect(harness.origin.requests.count == 1)
    }

    @Test("A stale response is revalidated with the Range forwarded; a 304 serves the range of the refreshed response")
    func revalidated() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10", "ETag": "\"e\"", "A": "1"], "0123456789A")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(304, ["Cache-Control": "max-age=100", "ETag": "\"e\"", "A": "2"])
        let (response, body) = try await harness.fetch(["Range": "bytes=2-4"])
        #expect(response.status.code == 206)
        #expect(body == "234")
        #expect(response.headers["A"] == "2")
        #expect(response.headers["Content-Range"] == "bytes 2-4/11")
        #expect(response.networkResponse?.status.code == 304)
        let conditional = harness.origin.requests.last
        #expect(conditional?.headers["Range"] == "bytes=2-4")
        #expect(conditional?.headers["If-None-Match"] == "\"e\"")
        #expect(harness.events.names == ["cacheMiss", "cacheConditionalHit", "cacheHit"])
        #expect(harness.store.openSnapshots == 0)
    }

    @Test("A 206 from the origin reaches the caller and is not stored")
    func networkPartialNotStored() async throws {
        let harness = CacheHarness()
        harness.origin.respond(206, ["Cache-Control": "max-age=60", "Content-Range": "bytes 0-1/11"], "01")
        let (partial, body) = try await harness.fetch(["Range": "bytes=0-1"])
        #expect(partial.status.code == 206)
        #expect(body == "01")
        #expect(harness.store.keys.isEmpty)
        harness.origin.respond(200, ["Cache-Control": "max-age=60"], "0123456789A")
        #expect(try await harness.fetch().1 == "0123456789A")
        #expect(harness.origin.requests.map { $0.headers["Range"] } == ["bytes=0-1", nil])
    }

    @Test("stale-while-revalidate serves the range at once and revalidates the whole response in the background")
    func staleWhileRevalidate() async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200, ["Cache-Control": "max-age=10, stale-while-revalidate=60", "ETag": "\"a\""], "old body")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(200, ["Cache-Control": "max-age=100", "ETag": "\"b\""], "new body")
        let (stale, part) = try await harness.fetch(["Range": "bytes=0-2", "If-Range": "\"a\""])
        #expect(stale.status.code == 206)
        #expect(part == "old")
        await harness.cache.backgroundWorkFinished()
        let background = harness.origin.requests.last
        #expect(background?.headers["Range"] == nil)
        #expect(background?.headers["If-Range"] == nil)
        #expect(background?.headers["If-None-Match"] == "\"a\"")
        #expect(try await harness.fetch(["Range": "bytes=0-2"]).1 == "new")
        #expect(harness.origin.requests.count == 2)
    }
}
