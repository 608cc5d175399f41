import CourierCache
import CourierCore
import FoundationEssentials
import Testing

/// What the origin's answer to a validation does to the stored entry (RFC 9111 §3, §4.3.4).
@Suite("Cache: the answers to a validation")
struct CacheValidationAnswerTests {
    @Test("A new response with an empty body replaces the stored body, buffered or streamed")
    func emptyBodyReplaces() async throws {
        for streamed in [false, true] {
            let harness = CacheHarness()
            harness.origin.respond(200, ["Cache-Control": "max-age=0", "ETag": "\"1\""], "hello")
            _ = try await harness.fetch()
            harness.clock.advance(by: 1)
            let headers: HTTPHeaders = ["Cache-Control": "max-age=300", "ETag": "\"2\""]
            if streamed {
                harness.origin.enqueue(.stream(status: 204, headers: headers, chunks: [], failure: false))
            } else {
                harness.origin.respond(204, headers)
            }
            let (replaced, replacedBody) = try await harness.fetch()
            #expect(replaced.status.code == 204)
            #expect(replacedBody == "")
            let (hit, hitBody) = try await harness.fetch()
            #expect(hit.status.code == 204, "streamed: \(streamed)")
            #expect(hitBody == "", "streamed: \(streamed)")
            #expect(hit.networkResponse == nil)
            #expect(harness.origin.requests.count == 2)
        }
    }

    /// The second pair: a strong tag never refreshes a response stored with the weak one.
    @Test(
        "A 304 naming another strong entity-tag refreshes nothing: the request goes again unconditionally",
        arguments: [("\"a\"", "\"b\""), ("W/\"a\"", "\"a\"")])
    func notModifiedForAnotherRepresentation(stored: String, answered: String) async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200,
            ["Cache-Control": "max-age=10", "ETag": stored, "Last-Modified": "Tue, 01 Dec 2026 00:00:00 GMT"],
            "old")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(304, ["Cache-Control": "max-age=100", "ETag": answered])
        harness.origin.respond(200, ["Cache-Control": "max-age=100", "ETag": answered], "new")
        let (response, body) = try await harness.fetch()
        #expect(body == "new")
        #expect(response.networkResponse?.status.code == 200)
        #expect(harness.origin.requests.count == 3)
        #expect(harness.origin.requests[1].headers["If-None-Match"] == stored)
        #expect(harness.origin.requests[2].headers["If-None-Match"] == nil)
        #expect(harness.origin.requests[2].headers["If-Modified-Since"] == nil)
        #expect(try await harness.fetch().1 == "new")
        #expect(harness.origin.requests.count == 3)
        #expect(harness.store.openSnapshots == 0)
        #expect(harness.store.openEdits == 0)
    }

    @Test(
        "A 304 whose entity-tag matches (strongly, or weakly when it is weak) refreshes the stored response",
        arguments: [("\"a\"", "\"a\""), ("\"a\"", "W/\"a\""), ("W/\"a\"", "W/\"a\"")])
    func notModifiedForTheStoredRepresentation(stored: String, answered: String) async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=10", "ETag": stored], "kept")
        _ = try await harness.fetch()
        harness.clock.advance(by: 20)
        harness.origin.respond(304, ["Cache-Control": "max-age=100", "ETag": answered])
        let (response, body) = try await harness.fetch()
        #expect(body == "kept")
        #expect(response.networkResponse?.status.code == 304)
        #expect(harness.origin.requests.count == 2)
    }

    @Test("A 304 restarts the response's age: the Age it was first stored with no longer counts")
    func notModifiedRestartsTheAge() async throws {
        let harness = CacheHarness()
        harness.origin.respond(200, ["Cache-Control": "max-age=60", "Age": "300", "ETag": "\"a\""], "body")
        _ = try await harness.fetch()
        harness.origin.respond(304, ["ETag": "\"a\""])
        #expect(try await harness.fetch().0.networkResponse?.status.code == 304)
        harness.clock.advance(by: 10)
        let (hit, body) = try await harness.fetch()
        #expect(body == "body")
        #expect(hit.networkResponse == nil)
        #expect(hit.headers["Age"] == "10")
        #expect(harness.origin.requests.count == 2)
    }

    @Test(
        "A request's max-age or min-fresh refuses the stale response stale-while-revalidate would serve",
        arguments: ["max-age=0", "max-age=5", "min-fresh=1"])
    func staleWhileRevalidateHonoursTheRequest(directive: String) async throws {
        let harness = CacheHarness()
        harness.origin.respond(
            200, ["Cache-Control": "max-age=100, stale-while-revalidate=60", "ETag": "\"a\""], "old")
        _ = try await harness.fetch()
        harness.clock.advance(by: 110)
        harness.origin.respond(200, ["Cache-Control": "max-age=100", "ETag": "\"b\""], "new")
        let (response, body) = try await harness.fetch(["Cache-Control": directive])
        #expect(body == "new")
        #expect(response.networkResponse?.status.code == 200)
        #expect(harness.origin.requests.last?.headers["If-None-Match"] == "\"a\"")
        await harness.cache.backgroundWorkFinished()
        #expect(harness.origin.requests.count == 2)
    }
}
