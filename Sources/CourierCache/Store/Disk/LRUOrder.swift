/// Keys from least to most recently used, with O(1) touch and removal: a doubly linked list
/// threaded through a dictionary, so it stays a value that the index can copy and compare.
struct LRUOrder: Sendable {
    private struct Link: Sendable {
        var older: String?
        var newer: String?
    }

    private var links: [String: Link] = [:]
    private(set) var oldest: String?
    private var newest: String?

    var count: Int { links.count }

    /// Makes `key` the most recently used, adding it if it is new.
    mutating func touch(_ key: String) {
        guard newest != key else { return }
        remove(key)
        links[key] = Link(older: newest, newer: nil)
        if let newest { links[newest]?.newer = key }
        newest = key
        if oldest == nil { oldest = key }
    }

    mutating func remove(_ key: String) {
        guard let link = links.removeValue(forKey: key) else { return }
        if let older = link.older { links[older]?.newer = link.newer } else { oldest = link.newer }
        if let newer = link.newer { links[newer]?.older = link.older } else { newest = link.older }
    }

    mutating func removeAll() {
        self = LRUOrder()
    }

    /// Every key, least recently used first.
    var keys: [String] {
        var keys: [String] = []
        keys.reserveCapacity(links.count)
        var next = oldest
        while let key = next {
            keys.append(key)
            next = links[key]?.newer
        }
        return keys
    }
}
