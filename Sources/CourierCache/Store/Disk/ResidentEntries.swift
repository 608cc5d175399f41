/// Small committed entries kept in memory beside their files, so that a hit on one reads no
/// file: opening, reading and closing cost three trips to the blocking-work pool, more than the
/// rest of a hit together. The files stay the truth; an entry here is served only while the
/// index still names the same files (`identity`), so a replacement, a removal or an eviction
/// makes it stale at once, and it is dropped when found so.
///
/// Bounded by `limit` bytes; past it the least recently served entries go.
package struct ResidentEntries {
    struct Entry {
        let identity: CacheIndex.Entry
        let metadata: [UInt8]
        let body: [UInt8]
        var lastUse: UInt64

        var size: Int { metadata.count + body.count }
    }

    /// Bodies larger than this are read from their file, a chunk at a time.
    package static let maxBodySize = 64 << 10

    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0
    private(set) var bytes = 0
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// The entry for `key` if it is the one the index names now.
    mutating func lookUp(_ key: String, current: CacheIndex.Entry) -> Entry? {
        guard let entry = entries[key] else { return nil }
        guard entry.identity == current else {
            remove(key)
            return nil
        }
        clock += 1
        entries[key]!.lastUse = clock
        return entry
    }

    mutating func insert(_ key: String, identity: CacheIndex.Entry, metadata: [UInt8], body: [UInt8]) {
        remove(key)
        let size = metadata.count + body.count
        guard body.count <= ResidentEntries.maxBodySize, size <= limit else { return }
        while bytes + size > limit, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            remove(oldest)
        }
        clock += 1
        entries[key] = Entry(identity: identity, metadata: metadata, body: body, lastUse: clock)
        bytes += size
    }

    /// A 304's new metadata over the body kept for `key`, now under `identity`.
    mutating func refresh(_ key: String, identity: CacheIndex.Entry, metadata: [UInt8]) {
        guard let entry = entries[key] else { return }
        insert(key, identity: identity, metadata: metadata, body: entry.body)
    }

    mutating func remove(_ key: String) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        bytes -= entry.size
    }

    mutating func removeAll() {
        entries = [:]
        bytes = 0
    }
}
