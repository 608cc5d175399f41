import Courier
import CourierCache
import CourierTestServer
import FoundationEssentials
import Testing

/// Range requests answered by the cache inside a real client: what reaches the test server (or
/// does not) proves that a stored complete response answered them.
@Suite("HTTP cache ranges end to end")
struct CacheRangeEndToEndTests {
    @Test("A stored 200 answers Range requests with 206 and 416 without the server", arguments: Transport.main)
    func fromStored(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(
                MockResponse(headers: ["Cache-Control": "max-age=60", "ETag": "\"r\""], body: "0123456789A"))
            let setup = CacheTests.Setup(transport)
            let url = server.url("/range")
            #expect(try await setup.client.send(HTTPRequest(url: url)).body.string() == "0123456789A")
            setup.clock.advance(by: 3)
            let part = try await setup.client.send(HTTPRequest(url: url, headers: ["Range": "bytes=0-1"]))
            #expect(part.status.code == 206)
            #expect(part.headers["Content-Range"] == "bytes 0-1/11")
            #expect(part.headers["Content-Length"] == "2")
            #expect(part.headers["Age"] == "3")
            #expect(part.version == transport.version)
            #expect(try await part.body.string() == "01")
            let suffix = try await setup.client.send(
                HTTPRequest(url: url, headers: ["Range": "bytes=-3", "If-Range": "\"r\""]))
            #expect(try await suffix.body.string() == "89A")
            let beyond = try await setup.client.send(HTTPRequest(url: url, headers: ["Range": "bytes=11-"]))
            #expect(beyond.status.code == 416)
            #expect(beyond.headers["Content-Range"] == "bytes */11")
            #expect(try await beyond.body.string() == "")
            #expect(server.requestCount == 1)
            #expect(setup.cache.hitCount == 3 && setup.cache.networkCount == 1)
            #expect(setup.store.openSnapshots == 0)
            await server.shutdown()
        }
    }

    @Test(
        "Over the disk store: a stale response revalidated with the Range forwarded, a 304, then the range read from the file"
    )
    func diskStoreAfterRevalidation() async throws {
        let directory = "/tmp/courier-range-test-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withTimeout {
            let server = try await Transport.http1.server()
            let body = (0..<(300 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            server.enqueue(MockResponse(headers: ["Cache-Control": "max-age=10", "ETag": "\"d\""], body: body))
            server.enqueue(
                MockResponse(status: .notModified, headers: ["Cache-Control": "max-age=60", "ETag": "\"d\""]))
            let clock = ManualCacheClock()
            let store = try DiskCacheStore(directory: URL(filePath: directory), maxSize: 4 << 20)
            let cache = HTTPCache(store: store, clock: clock.cacheClock)
            let client = Transport.http1.client { $0.cache = cache }
            let url = server.url("/file")
            #expect(try await client.send(HTTPRequest(url: url)).body.collect(upTo: 1 << 20) == body)
            clock.advance(by: 20)
            let range = "bytes=65000-200000"
            let part = try await client.send(HTTPRequest(url: url, headers: ["Range": range]))
            #expect(part.status.code == 206)
            #expect(part.networkResponse?.status.code == 304)
            #expect(part.headers["Content-Range"] == "bytes 65000-200000/307200")
            #expect(try await part.body.collect(upTo: 1 << 20) == Array(body[65000...200000]))
            _ = try await server.takeRequest()
            let conditional = try await server.takeRequest()
            #expect(conditional.headers["Range"] == range)
            #expect(conditional.headers["If-None-Match"] == "\"d\"")
            let fresh = try await client.send(HTTPRequest(url: url, headers: ["Range": "bytes=-70000"]))
            #expect(try await fresh.body.collect(upTo: 1 << 20) == Array(body.suffix(70000)))
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }
}
