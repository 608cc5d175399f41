import CourierCache
import Synchronization

/// A `CacheStore` in memory for the cache's tests, with the protocol's contract: snapshots are
/// immutable copies, an edit is invisible until committed, one edit per key at a time, an edit
/// without a body keeps the committed body, least recently used entries go first past `maxSize`.
final class InMemoryCacheStore: CacheStore {
    struct Entry: Sendable {
        var metadata: [UInt8]
        var body: [UInt8]
        var size: Int { metadata.count + body.count }
    }

    private struct State {
        /// Least recently used first.
        var entries: [(key: String, entry: Entry)] = []
        var editing: Set<String> = []
        var openSnapshots = 0
        var bodyBytesRead = 0
    }

    let maxSize: Int
    private let state = Mutex(State())

    init(maxSize: Int = 1 << 20) {
        self.maxSize = maxSize
    }

    /// The committed entry for `key`, without touching its recency.
    func entry(_ key: String) -> Entry? {
        state.withLock { state in state.entries.first { $0.key == key }?.entry }
    }

    var keys: [String] { state.withLock { $0.entries.map(\.key) } }
    /// Edits opened and not yet committed or aborted.
    var openEdits: Int { state.withLock { $0.editing.count } }
    /// Snapshots handed out and not yet closed.
    var openSnapshots: Int { state.withLock { $0.openSnapshots } }
    /// Body bytes all snapshots have returned, to check that a range reads only its own part.
    var bodyBytesRead: Int { state.withLock { $0.bodyBytesRead } }

    /// Replaces the body of a committed entry, as a store that lost part of a file would.
    func truncate(_ key: String, to length: Int) {
        state.withLock { state in
            if let index = state.entries.firstIndex(where: { $0.key == key }) {
                state.entries[index].entry.body = Array(state.entries[index].entry.body.prefix(length))
            }
        }
    }

    /// Replaces the metadata of a committed entry, as a corrupt disk would.
    func corrupt(_ key: String, metadata: [UInt8]) {
        state.withLock { state in
            if let index = state.entries.firstIndex(where: { $0.key == key }) {
                state.entries[index].entry.metadata = metadata
            }
        }
    }

    func size() async throws -> Int {
        state.withLock { $0.entries.reduce(0) { $0 + $1.entry.size } }
    }

    func snapshot(for key: String) async throws -> (any CacheSnapshot)? {
        state.withLock { state -> (any CacheSnapshot)? in
            guard let index = state.entries.firstIndex(where: { $0.key == key }) else { return nil }
            let found = state.entries.remove(at: index)
            state.entries.append(found)
            state.openSnapshots += 1
            return Snapshot(entry: found.entry, store: self)
        }
    }

    func edit(_ key: String) async throws -> (any CacheEditor)? {
        state.withLock { state -> (any CacheEditor)? in
            guard state.editing.insert(key).inserted else { return nil }
            return Editor(key: key, store: self)
        }
    }

    func remove(_ key: String) async throws {
        state.withLock { $0.entries.removeAll { $0.key == key } }
    }

    func removeAll() async throws {
        state.withLock { $0.entries.removeAll() }
    }

    fileprivate func snapshotClosed() {
        state.withLock { $0.openSnapshots -= 1 }
    }

    fileprivate func bodyRead(_ count: Int) {
        state.withLock { $0.bodyBytesRead += count }
    }

    fileprivate func finish(_ key: String, metadata: [UInt8]?, body: [UInt8], wroteBody: Bool) throws {
        try state.withLock { state in
            defer { state.editing.remove(key) }
            let previous = state.entries.first { $0.key == key }?.entry
            guard let metadata = metadata ?? previous?.metadata else { throw NoMetadata() }
            let entry = Entry(metadata: metadata, body: wroteBody ? body : previous?.body ?? [])
            state.entries.removeAll { $0.key == key }
            state.entries.append((key, entry))
            var total = state.entries.reduce(0) { $0 + $1.entry.size }
            while total > maxSize, !state.entries.isEmpty {
                total -= state.entries.removeFirst().entry.size
            }
        }
    }

    fileprivate func aborted(_ key: String) {
        _ = state.withLock { $0.editing.remove(key) }
    }

    struct NoMetadata: Error {}
    struct Closed: Error {}

    private final class Snapshot: CacheSnapshot {
        let metadata: [UInt8]
        private let body: [UInt8]
        private let store: InMemoryCacheStore
        private let closed = Atomic(false)

        init(entry: Entry, store: InMemoryCacheStore) {
            metadata = entry.metadata
            body = entry.body
            self.store = store
        }

        var bodySize: Int { body.count }

        func readBody(from offset: Int, maxLength: Int) async throws -> [UInt8] {
            guard !closed.load(ordering: .acquiring) else { throw Closed() }
            let end = min(body.count, offset + maxLength)
            guard offset < end else { return [] }
            store.bodyRead(end - offset)
            return Array(body[offset..<end])
        }

        func close() async {
            if !closed.exchange(true, ordering: .acquiringAndReleasing) { store.snapshotClosed() }
        }
    }

    /// The lock keeps the buffered edit consistent between the editor's calls.
    private final class Editor: CacheEditor {
        private let key: String
        private let store: InMemoryCacheStore
        private let pending = Mutex<(metadata: [UInt8]?, body: [UInt8], wroteBody: Bool, done: Bool)>(
            (nil, [], false, false))

        init(key: String, store: InMemoryCacheStore) {
            self.key = key
            self.store = store
        }

        func writeMetadata(_ bytes: [UInt8]) async throws {
            try pending.withLock { state in
                guard !state.done else { throw Closed() }
                state.metadata = bytes
            }
        }

        func appendBody(_ bytes: [UInt8]) async throws {
            try pending.withLock { state in
                guard !state.done else { throw Closed() }
                state.body += bytes
                state.wroteBody = true
            }
        }

        func commit() async throws {
            let edit = try pending.withLock { state in
                guard !state.done else { throw Closed() }
                state.done = true
                return (state.metadata, state.body, state.wroteBody)
            }
            try store.finish(key, metadata: edit.0, body: edit.1, wroteBody: edit.2)
        }

        func abort() async {
            let wasOpen = pending.withLock { state in
                defer { state.done = true }
                return !state.done
            }
            if wasOpen { store.aborted(key) }
        }
    }
}
