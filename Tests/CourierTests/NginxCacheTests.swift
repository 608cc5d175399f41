import Courier
import CourierCache
import Testing

/// The cache in front of nginx, a server whose validators and 304s Courier did not write. Every
/// nginx response carries its own `X-Request-Id`, so a response with an earlier one came from the
/// store, and one with a new one (or a 304 as `networkResponse`) reached nginx.
@Suite("HTTP cache against nginx")
struct NginxCacheTests {
    @Test(
        "A fresh hit never reaches nginx; no-cache revalidates with 304 each time; no-store is never stored; POST invalidates"
    )
    func nginx() async throws {
        try await withTimeout {
            try await withNginx { nginx in
                let store = InMemoryCacheStore()
                let cache = HTTPCache(store: store, clock: ManualCacheClock().cacheClock)
                var configuration = HTTPClient.Configuration()
                configuration.cache = cache
                let client = HTTPClient(configuration: configuration)
                let base = "http://127.0.0.1:\(nginx.port)"
                func get(_ path: String) async throws -> (HTTPResponse, String) {
                    let response = try await client.send(HTTPRequest(url: URL(string: base + path)!))
                    return (response, try await response.body.string())
                }

                let (first, firstBody) = try await get("/cache/fresh/page")
                let (hit, hitBody) = try await get("/cache/fresh/page")
                #expect(firstBody == "a page to cache\n" && hitBody == firstBody)
                #expect(first.headers["X-Request-Id"] != nil)
                #expect(hit.headers["X-Request-Id"] == first.headers["X-Request-Id"])
                #expect(hit.networkResponse == nil && hit.cacheResponse != nil)
                #expect(cache.networkCount == 1 && cache.hitCount == 1)

                let (stored, _) = try await get("/cache/no-cache/page")
                var ids = [stored.headers["X-Request-Id"]]
                for _ in 0..<2 {
                    let (revalidated, body) = try await get("/cache/no-cache/page")
                    #expect(revalidated.status.code == 200)
                    #expect(body == "a page to cache\n")
                    #expect(revalidated.networkResponse?.status.code == 304)
                    ids.append(revalidated.headers["X-Request-Id"])
                }
                #expect(Set(ids).count == 3)

                let (noStore1, _) = try await get("/cache/no-store/page")
                let (noStore2, _) = try await get("/cache/no-store/page")
                #expect(noStore2.networkResponse?.status.code == 200)
                #expect(noStore1.headers["X-Request-Id"] != noStore2.headers["X-Request-Id"])
                #expect(store.entry(CacheKey.key(for: URL(string: base + "/cache/no-store/page")!)) == nil)

                let post = try await client.send(
                    HTTPRequest(method: .post, url: URL(string: base + "/cache/fresh/page")!, body: .string("x")))
                #expect(try await post.body.string() == "posted")
                let (afterPost, _) = try await get("/cache/fresh/page")
                #expect(afterPost.networkResponse?.status.code == 200)
                #expect(afterPost.headers["X-Request-Id"] != first.headers["X-Request-Id"])
            }
        }
    }

    @Test("A range the cache cuts from a stored nginx response is the 206 or 416 nginx itself sends")
    func ranges() async throws {
        try await withTimeout {
            try await withNginx { nginx in
                var configuration = HTTPClient.Configuration()
                configuration.cache = HTTPCache(store: InMemoryCacheStore(), clock: ManualCacheClock().cacheClock)
                let cached = HTTPClient(configuration: configuration)
                let direct = HTTPClient()
                let url = URL(string: "http://127.0.0.1:\(nginx.port)/cache/fresh/page")!
                let stored = try await cached.send(HTTPRequest(url: url))
                #expect(try await stored.body.string() == "a page to cache\n")
                let etag = try #require(stored.headers["ETag"])
                for range in ["bytes=2-5", "bytes=-3", "bytes=10-", "bytes=0-1000", "bytes=16-"] {
                    let headers: HTTPHeaders = ["Range": range, "If-Range": etag]
                    let fromCache = try await cached.send(HTTPRequest(url: url, headers: headers))
                    let fromNginx = try await direct.send(HTTPRequest(url: url, headers: headers))
                    // The stored response answered (a 416 from the cache keeps only a 304's fields).
                    #expect(
                        fromCache.cacheResponse?.headers["X-Request-Id"] == stored.headers["X-Request-Id"], "\(range)")
                    #expect(fromCache.networkResponse == nil, "\(range)")
                    #expect(fromCache.status.code == fromNginx.status.code, "\(range)")
                    #expect(fromCache.headers["Content-Range"] == fromNginx.headers["Content-Range"], "\(range)")
                    let cachedBody = try await fromCache.body.string()
                    let nginxBody = try await fromNginx.body.string()
                    if fromNginx.status.code == 206 {
                        #expect(fromCache.headers["Content-Length"] == fromNginx.headers["Content-Length"], "\(range)")
                        #expect(cachedBody == nginxBody, "\(range)")
                    } else {
                        #expect(cachedBody.isEmpty, "\(range)")
                    }
                }
            }
        }
    }
}
