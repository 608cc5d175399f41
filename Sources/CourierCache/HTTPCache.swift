import CourierCore
public import FoundationEssentials
import Synchronization

/// A private HTTP cache (RFC 9111) that a client consults before the network: fresh responses
/// are answered without a request, stale ones are revalidated with a conditional request, and
/// network responses that may be reused are written through to the store while the caller
/// streams them.
///
/// ```swift
/// var config = HTTPClient.Configuration()
/// config.cache = try HTTPCache(directory: URL(fileURLWithPath: "/tmp/c"), maxSize: 10 << 20)
/// let client = HTTPClient(configuration: config)
/// ```
///
/// Share one cache per directory: clients made with `with {}` share their configuration's cache.
/// The cache stores what the network sent (compressed bodies stay compressed); the client's
/// transparent decompression, above the cache, decodes hits and misses alike.
public final class HTTPCache: Sendable {
    package let store: any CacheStore
    package let clock: CacheClock
    private let counters = Mutex(Counters())
    /// Stored heads as last decoded, by key, with the metadata they came from; see ``head(for:metadata:)``.
    private let decodedHeads = Mutex<[String: (metadata: [UInt8], head: CachedResponseHead)]>([:])
    /// Keys of URLs asked for lately, by the URL's text; see ``key(for:)``.
    private let recentKeys = Mutex<[String: String]>([:])
    /// Background revalidations under way, by an id of their own.
    private let background = Mutex<(next: Int, tasks: [Int: Task<Void, Never>])>((0, [:]))

    private struct Counters {
        var requests = 0
        var hits = 0
        var network = 0
    }

    /// A cache in `directory` (created when missing) holding at most `maxSize` bytes of
    /// responses, evicting the least recently used beyond that. Nothing is read or written
    /// until the first request: the directory's journal is opened then, off the cooperative
    /// pool. Entries survive the process; one torn by a crash is discarded, never served.
    ///
    /// - Throws: `HTTPClientError` `.invalidRequest` when `directory` is not a file URL or
    ///   `maxSize` is not positive.
    public convenience init(directory: URL, maxSize: Int) throws {
        do {
            self.init(store: try DiskCacheStore(directory: directory, maxSize: maxSize))
        } catch {
            throw HTTPClientError(.invalidRequest, "HTTPCache(directory: \(directory), maxSize: \(maxSize)): \(error).")
        }
    }

    /// A cache over `store`, its times read from `clock`.
    package init(store: any CacheStore, clock: CacheClock = .system) {
        self.store = store
        self.clock = clock
    }

    /// The stored head in `metadata`, decoded once per stored version: a hit on a resident entry
    /// gets the very bytes it got before (so the comparison is one of identity), and decoding
    /// cost as much as the rest of the hit's policy. At most 256 keys are remembered.
    package func head(for key: String, metadata: [UInt8]) throws -> CachedResponseHead {
        if let known = decodedHeads.withLock({ $0[key] }), known.metadata == metadata { return known.head }
        let head = try CachedResponseHeadCoding.decode(metadata)
        decodedHeads.withLock { heads in
            if heads.count >= 256 { heads.removeAll(keepingCapacity: true) }
            heads[key] = (metadata, head)
        }
        return head
    }

    /// The store key of `url` (``CacheKey``), remembered for the last 256 URLs: its digest was
    /// a twelfth of a fresh hit.
    package func key(for url: URL) -> String {
        let text = CacheKey.text(of: url)
        if let key = recentKeys.withLock({ $0[text] }) { return key }
        let key = CacheKey.key(forText: text)
        recentKeys.withLock { keys in
            if keys.count >= 256 { keys.removeAll(keepingCapacity: true) }
            keys[text] = key
        }
        return key
    }

    /// Calls that reached the cache (HTTP requests, redirects and retries each counted).
    public var requestCount: Int { counters.withLock { $0.requests } }
    /// Calls answered from the store: without the network, or after a 304 from revalidation.
    public var hitCount: Int { counters.withLock { $0.hits } }
    /// Calls that went to the network, revalidations included.
    public var networkCount: Int { counters.withLock { $0.network } }

    /// The most the store holds, in bytes.
    public var maxSize: Int { store.maxSize }

    /// What the store holds now, in bytes.
    public var size: Int {
        get async throws { try await store.size() }
    }

    /// Drops every stored response. Responses being read stay readable to the end.
    public func evictAll() async throws {
        try await store.removeAll()
    }

    /// Drops the stored response for `url`, if any.
    public func remove(_ url: URL) async throws {
        try await store.remove(key(for: url))
    }

    /// Runs `work` in a task of its own that outlives the call which started it.
    func inBackground(_ work: @escaping @Sendable () async -> Void) {
        background.withLock { state in
            let id = state.next
            state.next += 1
            state.tasks[id] = Task { [weak self] in
                await work()
                _ = self?.background.withLock { $0.tasks.removeValue(forKey: id) }
            }
        }
    }

    /// Waits for the background revalidations started so far, for tests that check what they stored.
    package func backgroundWorkFinished() async {
        // A task removes itself before it completes, so each wait shortens the list.
        while let task = background.withLock({ $0.tasks.values.first }) {
            await task.value
        }
    }

    func countRequest() { counters.withLock { $0.requests += 1 } }
    func countHit() { counters.withLock { $0.hits += 1 } }
    func countNetwork() { counters.withLock { $0.network += 1 } }
}

/// Where the cache reads the time: the system clock, or one a test sets, so that freshness and
/// age rules are tested without sleeping.
package struct CacheClock: Sendable {
    package let now: @Sendable () -> Date

    package init(now: @escaping @Sendable () -> Date) {
        self.now = now
    }

    package static let system = CacheClock { Date() }
}
