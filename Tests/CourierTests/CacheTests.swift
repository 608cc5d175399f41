import Courier
import CourierCache
import CourierTestServer
import Testing

/// The cache inside a real client, against the test server on loopback: what reaches the server
/// is what proves a hit, a revalidation or an invalidation.
@Suite("HTTP cache end to end")
struct CacheTests {
    /// A client for `transport` with a cache over an in-memory store and a clock the test steps.
    struct Setup {
        let store = InMemoryCacheStore()
        let clock = ManualCacheClock()
        let cache: HTTPCache
        let events = EventRecorder()
        let client: HTTPClient

        init(_ transport: Transport) {
            let cache = HTTPCache(store: store, clock: clock.cacheClock)
            self.cache = cache
            client = transport.client { [events] in
                $0.cache = cache
                $0.eventListener = events
            }
        }
    }

    @Test("A fresh hit never reaches the server and keeps the response's facts", arguments: Transport.main)
    func freshHit(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: "cached body"))
            let setup = Setup(transport)
            let first = try await setup.client.send(HTTPRequest(url: server.url("/a")))
            #expect(try await first.body.string() == "cached body")
            setup.clock.advance(by: 10)
            let second = try await setup.client.send(HTTPRequest(url: server.url("/a")))
            #expect(try await second.body.string() == "cached body")
            #expect(second.headers["Age"] == "10")
            #expect(second.version == transport.version)
            #expect((second.tlsHandshake != nil) == transport.isSecure)
            #expect(second.cacheResponse != nil && second.networkResponse == nil)
            #expect(server.requestCount == 1)
            #expect(setup.cache.hitCount == 1 && setup.cache.networkCount == 1 && setup.cache.requestCount == 2)
            #expect(setup.events.events.suffix(3) == ["callStart", "cacheHit", "callEnd"])
            await server.shutdown()
        }
    }

    @Test(
        "A no-cache resource revalidates with 304 on every use; the caller sees 200 and the stored body",
        arguments: Transport.main)
    func revalidates(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Cache-Control": "no-cache", "ETag": "\"e1\""], body: "stored"))
            server.enqueue(MockResponse(status: .notModified, headers: ["ETag": "\"e1\""]))
            server.enqueue(MockResponse(status: .notModified, headers: ["ETag": "\"e1\""]))
            let setup = Setup(transport)
            for _ in 0..<3 {
                let response = try await setup.client.send(HTTPRequest(url: server.url("/r")))
                #expect(response.status.code == 200)
                #expect(try await response.body.string() == "stored")
            }
            #expect(try await server.takeRequest().headers["If-None-Match"] == nil)
            #expect(try await server.takeRequest().headers["If-None-Match"] == "\"e1\"")
            let third = try await server.takeRequest()
            #expect(third.headers["If-None-Match"] == "\"e1\"")
            #expect(setup.cache.hitCount == 2 && setup.cache.networkCount == 3)
            await server.shutdown()
        }
    }

    /// RFC 6265 §5.3: cookies come from responses received, not from a stored copy of an old one.
    @Test("A cache hit does not set its stored Set-Cookie again; a 304 sets only its own", arguments: Transport.main)
    func cookiesFromTheNetworkOnly(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let store = InMemoryCacheStore()
            let clock = ManualCacheClock()
            let jar = InMemoryCookieJar()
            let client = transport.client {
                $0.cache = HTTPCache(store: store, clock: clock.cacheClock)
                $0.cookieJar = jar
            }
            server.enqueue(
                MockResponse(
                    headers: ["Cache-Control": "max-age=60", "ETag": "\"1\"", "Set-Cookie": "sid=old; Max-Age=3600"],
                    body: "page"))
            server.enqueue(MockResponse(headers: ["Set-Cookie": "sid=; Max-Age=0"], body: "logged out"))
            _ = try await client.send(HTTPRequest(url: server.url("/page"))).body.string()
            _ = try await client.send(HTTPRequest(method: .post, url: server.url("/logout"))).body.string()
            #expect(await jar.cookies(for: server.url("/page")).isEmpty)
            // A fresh hit: the stored Set-Cookie must not bring the session back.
            #expect(try await client.send(HTTPRequest(url: server.url("/page"))).body.string() == "page")
            #expect(await jar.cookies(for: server.url("/page")).isEmpty)
            // Stale: the 304's own cookie is set, the stored one is not.
            clock.advance(by: 120)
            server.enqueue(
                MockResponse(status: HTTPStatus(code: 304), headers: ["ETag": "\"1\"", "Set-Cookie": "v=2"]))
            #expect(try await client.send(HTTPRequest(url: server.url("/page"))).body.string() == "page")
            #expect(await jar.cookies(for: server.url("/page")).map(\.name) == ["v"])
            #expect(server.requestCount == 3)
            await server.shutdown()
        }
    }

    @Test(
        "A stale-while-revalidate background response's Set-Cookie is kept, as any received one",
        arguments: Transport.main)
    func backgroundCookies(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let clock = ManualCacheClock()
            let jar = InMemoryCookieJar()
            let cache = HTTPCache(store: InMemoryCacheStore(), clock: clock.cacheClock)
            let client = transport.client {
                $0.cache = cache
                $0.cookieJar = jar
            }
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=10, stale-while-revalidate=60"], body: "old"))
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=60", "Set-Cookie": "sid=renewed"], body: "new"))
            _ = try await client.send(HTTPRequest(url: server.url("/page"))).body.string()
            clock.advance(by: 20)
            #expect(try await client.send(HTTPRequest(url: server.url("/page"))).body.string() == "old")
            await cache.backgroundWorkFinished()
            #expect(server.requestCount == 2)
            #expect(await jar.cookies(for: server.url("/page")).map(\.value) == ["renewed"])
            await server.shutdown()
        }
    }

    @Test("no-store is never stored; a POST invalidates what its URL stored", arguments: Transport.main)
    func noStoreAndPost(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Cache-Control": "no-store, max-age=60"], body: "1"))
            server.enqueue(MockResponse(headers: ["Cache-Control": "no-store, max-age=60"], body: "2"))
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: "3"))
            server.enqueue(MockResponse(status: .created, body: "posted"))
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: "4"))
            let setup = Setup(transport)
            let url = server.url("/p")
            #expect(try await setup.client.send(HTTPRequest(url: url)).body.string() == "1")
            #expect(try await setup.client.send(HTTPRequest(url: url)).body.string() == "2")
            #expect(try await setup.client.send(HTTPRequest(url: url)).body.string() == "3")
            #expect(try await setup.client.send(HTTPRequest(url: url)).body.string() == "3")
            let post = HTTPRequest(method: .post, url: url, body: .string("x"))
            #expect(try await setup.client.send(post).body.string() == "posted")
            #expect(try await setup.client.send(HTTPRequest(url: url)).body.string() == "4")
            #expect(server.requestCount == 5)
            await server.shutdown()
        }
    }

    @Test("Vary: Accept-Language selects the stored response; a body abandoned midway is not stored")
    func varyAndAbandon() async throws {
        try await withTimeout {
            let server = try await Transport.http1.server()
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=60", "Vary": "Accept-Language"], body: "en"))
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=60", "Vary": "Accept-Language"], body: "fr"))
            let big = [UInt8](repeating: 1, count: 256 << 10)
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: big))
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: big))
            let setup = Setup(.http1)
            func get(_ language: String) async throws -> String {
                try await setup.client.send(HTTPRequest(url: server.url("/v"), headers: ["Accept-Language": language]))
                    .body.string()
            }
            #expect(try await get("en") == "en")
            #expect(try await get("en") == "en")
            #expect(try await get("fr") == "fr")
            #expect(server.requestCount == 2)

            let abandoned = try await setup.client.send(HTTPRequest(url: server.url("/big")))
            var iterator = abandoned.body.makeAsyncIterator()
            _ = try await iterator.next()
            await abandoned.body.source?.abandon()
            let whole = try await setup.client.send(HTTPRequest(url: server.url("/big")))
            #expect(try await whole.body.collect(upTo: 1 << 20) == big)
            #expect(server.requestCount == 4)
            #expect(setup.store.openEdits == 0)
            await server.shutdown()
        }
    }

    @Test("The store keeps the gzip bytes the network sent; the bridge decodes the hit as it decoded the miss")
    func compressed() async throws {
        try await withTimeout {
            let server = try await Transport.http1.server()
            let encoded = try CompressionTests.fixture("body.gz")
            let expected = try CompressionTests.fixture("body.txt")
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=60", "Content-Encoding": "gzip"], body: encoded))
            let setup = Setup(.http1)
            let miss = try await setup.client.send(HTTPRequest(url: server.url("/z")))
            #expect(try await miss.body.collect(upTo: 1 << 20) == expected)
            let hit = try await setup.client.send(HTTPRequest(url: server.url("/z")))
            #expect(hit.headers["Content-Encoding"] == nil)
            #expect(try await hit.body.collect(upTo: 1 << 20) == expected)
            #expect(hit.cacheResponse?.headers["Content-Encoding"] == "gzip")
            #expect(setup.store.entry(CacheKey.key(for: server.url("/z")))?.body == encoded)
            #expect(server.requestCount == 1)
            await server.shutdown()
        }
    }

    @Test("A client made with with {} shares the cache; only-if-cached misses are 504 without the network")
    func sharedAndForced() async throws {
        try await withTimeout {
            let server = try await Transport.http1.server()
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: "shared"))
            let setup = Setup(.http1)
            #expect(try await setup.client.send(HTTPRequest(url: server.url("/s"))).body.string() == "shared")
            let derived = setup.client.with { $0.readTimeout = .seconds(5) }
            #expect(try await derived.send(HTTPRequest(url: server.url("/s"))).body.string() == "shared")
            var forced = HTTPRequest(url: server.url("/missing"))
            forced.cacheMode = .forceCache
            let unsatisfiable = try await derived.send(forced)
            #expect(unsatisfiable.status.code == 504)
            #expect(server.requestCount == 1)
            #expect(setup.events.events.contains("satisfactionFailure"))
            await server.shutdown()
        }
    }

    @Test("64 concurrent hits and 16 concurrent misses of one URL: right bodies, one stored entry, nothing left open")
    func concurrent() async throws {
        try await withTimeout {
            let body = String(repeating: "concurrent ", count: 2000)
            let server = try await TestServer { _ in
                MockResponse(headers: ["Cache-Control": "max-age=60"], body: body)
            }
            let setup = Setup(.http1)
            let misses = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await setup.client.send(HTTPRequest(url: server.url("/c"))).body.string() }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(misses.allSatisfy { $0 == body })
            let before = server.requestCount
            let hits = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<64 {
                    group.addTask { try await setup.client.send(HTTPRequest(url: server.url("/c"))).body.string() }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(hits.count == 64 && hits.allSatisfy { $0 == body })
            #expect(server.requestCount == before)
            #expect(setup.store.keys.count == 1)
            #expect(setup.store.openEdits == 0 && setup.store.openSnapshots == 0)
            await server.shutdown()
        }
    }

    @Test("A body the server cuts off fails the caller's read and is not stored")
    func cutOff() async throws {
        try await withTimeout {
            let server = try await Transport.http1.server()
            let body = [UInt8](repeating: 9, count: 64 << 10)
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=60"], body: body).policy(
                    .disconnectDuringBody(afterBytes: 1000)))
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=60"], body: body))
            let setup = Setup(.http1)
            let cut = try await setup.client.send(HTTPRequest(url: server.url("/cut")))
            await #expect(throws: HTTPClientError.self) { try await cut.body.collect(upTo: 1 << 20) }
            #expect(setup.store.keys.isEmpty && setup.store.openEdits == 0)
            let whole = try await setup.client.send(HTTPRequest(url: server.url("/cut")))
            #expect(try await whole.body.collect(upTo: 1 << 20) == body)
            #expect(setup.store.keys.count == 1)
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }
}
