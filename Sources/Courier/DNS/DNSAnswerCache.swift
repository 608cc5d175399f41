import Synchronization

/// Answers kept for as long as their TTL allows (RFC 8484 §5.1 leaves caching to the client, and
/// the TTL is the record's own bound), by host name, under a lock shared by every copy of the
/// resolver. Bounded in count: past `capacity`, expired entries go first, then the oldest.
final class DNSAnswerCache: Sendable {
    private struct Entry {
        var addresses: [String]
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant

    init(capacity: Int = 1024, now: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.capacity = capacity
        self.now = now
    }

    /// The addresses of `host`, if an answer for it is still fresh.
    func addresses(of host: String) -> [String]? {
        let now = now()
        return entries.withLock { entries in
            guard let entry = entries[host.lowercased()] else { return nil }
            guard entry.expires > now else {
                entries[host.lowercased()] = nil
                return nil
            }
            return entry.addresses
        }
    }

    /// Keeps `addresses` for `ttl` seconds; an answer with a TTL of 0 is not kept.
    func store(_ addresses: [String], for host: String, ttl: UInt32) {
        guard ttl > 0, !addresses.isEmpty else { return }
        let now = now()
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity, let oldest = entries.min(by: { $0.value.expires < $1.value.expires }) {
                    entries[oldest.key] = nil
                }
            }
            entries[host.lowercased()] = Entry(addresses: addresses, expires: now + .seconds(Int64(ttl)))
        }
    }
}
