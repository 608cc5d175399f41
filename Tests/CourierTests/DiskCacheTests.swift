import Courier
import CourierTestServer
import Testing

/// The cache on its disk store, through the public `HTTPCache(directory:maxSize:)`: what the
/// other cache suites check over an in-memory store, plus what only a directory gives.
@Suite("HTTP cache on disk")
struct DiskCacheTests {
    private func client(_ cache: HTTPCache) -> HTTPClient {
        Transport.http1.client { $0.cache = cache }
    }

    @Test("A response stored on disk is a hit for a cache reopened on the same directory", arguments: Transport.main)
    func survivesARestart(_ transport: Transport) async throws {
        try await withTimeout(.seconds(20)) {
            try await withTemporaryDirectory { directory in
                let server = try await transport.server { _ in
                    MockResponse(headers: ["Cache-Control": "max-age=60"], body: "kept on disk")
                }
                defer { Task { await server.shutdown() } }
                let first = try HTTPCache(directory: directory, maxSize: 1 << 20)
                let url = server.url("/persisted")
                let stored = try await transport.client { $0.cache = first }.send(HTTPRequest(url: url))
                #expect(try await stored.body.string() == "kept on disk")
                #expect(try await first.size > 0)

                let reopened = try HTTPCache(directory: directory, maxSize: 1 << 20)
                let hit = try await transport.client { $0.cache = reopened }.send(HTTPRequest(url: url))
                #expect(hit.cacheResponse != nil && hit.networkResponse == nil)
                #expect(try await hit.body.string() == "kept on disk")
                #expect(server.requestCount == 1)
                #expect(reopened.hitCount == 1)
            }
        }
    }

    @Test("A large body is written through to disk as it streams, and read back whole from it")
    func largeBodyWriteThrough() async throws {
        try await withTimeout(.seconds(30)) {
            try await withTemporaryDirectory { directory in
                let body = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
                let server = try await TestServer { _ in
                    MockResponse(headers: ["Cache-Control": "max-age=60"], body: body)
                }
                defer { Task { await server.shutdown() } }
                let cache = try HTTPCache(directory: directory, maxSize: 16 << 20)
                let client = client(cache)
                let url = server.url("/large")
                var streamed: [UInt8] = []
                for try await chunk in try await client.send(HTTPRequest(url: url)).body { streamed += chunk }
                #expect(streamed == body)
                let hit = try await client.send(HTTPRequest(url: url))
                #expect(hit.networkResponse == nil)
                #expect(try await hit.body.collect(upTo: 8 << 20) == body)
                #expect(server.requestCount == 1)
                #expect(try await cache.size >= body.count)
            }
        }
    }

    @Test("A body larger than the cache streams to the caller and is not stored; evictAll empties the directory")
    func tooLargeAndEvictAll() async throws {
        try await withTimeout(.seconds(20)) {
            try await withTemporaryDirectory { directory in
                let server = try await TestServer { request in
                    let size = request.path == "/large" ? 64 << 10 : 100
                    return MockResponse(
                        headers: ["Cache-Control": "max-age=60"], body: [UInt8](repeating: 7, count: size))
                }
                defer { Task { await server.shutdown() } }
                let cache = try HTTPCache(directory: directory, maxSize: 32 << 10)
                let client = client(cache)
                #expect(
                    try await client.send(HTTPRequest(url: server.url("/large"))).body.collect(upTo: 1 << 20).count
                        == 64 << 10)
                _ = try await client.send(HTTPRequest(url: server.url("/large"))).body.collect(upTo: 1 << 20)
                #expect(server.requestCount == 2, "a body past maxSize is never stored")
                _ = try await client.send(HTTPRequest(url: server.url("/small"))).body.collect(upTo: 1 << 20)
                _ = try await client.send(HTTPRequest(url: server.url("/small"))).body.collect(upTo: 1 << 20)
                #expect(server.requestCount == 3)
                #expect(try await cache.size > 0)
                try await cache.evictAll()
                #expect(try await cache.size == 0)
                _ = try await client.send(HTTPRequest(url: server.url("/small"))).body.collect(upTo: 1 << 20)
                #expect(server.requestCount == 4)
            }
        }
    }

    @Test("A directory that is not a file URL, or a size that is not positive, is refused at once")
    func invalidConfiguration() {
        #expect(throws: HTTPClientError.self) {
            try HTTPCache(directory: URL(string: "https://example.com/cache")!, maxSize: 1 << 20)
        }
        #expect(throws: HTTPClientError.self) {
            try HTTPCache(directory: URL(fileURLWithPath: "/tmp/courier-never-created"), maxSize: 0)
        }
    }
}
