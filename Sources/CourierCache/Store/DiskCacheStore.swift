package import CourierCore
package import FoundationEssentials

/// The cache's entries in a directory: OkHttp's `DiskLruCache` in spirit, for Swift
/// concurrency. An actor around a pure `CacheIndex`; every file operation runs on the
/// blocking-work pool.
///
/// Each entry is two immutable files named by generation (`<key>.<generation>.m`, a
/// self-checking metadata file, and `<key>.<generation>.b`, the body) and a `CLEAN` record in
/// an append-only journal, which is the commit point: an entry exists once its record is
/// written, after its files are complete. The journal also keeps the order of use for LRU
/// eviction, and is rewritten compactly when it grows redundant. A crash leaves files that no
/// record names (deleted at the next opening), never a torn entry; a journal that cannot be
/// trusted is rebuilt from the metadata files. `Docs/Cache.md` has the whole argument.
///
/// ```swift
/// let store = try DiskCacheStore(directory: URL(filePath: "/tmp/cache"), maxSize: 10 << 20)
/// if let editor = try await store.edit("0f3a") {
///     try await editor.writeMetadata(head)
///     try await editor.appendBody(chunk)
///     try await editor.commit()
/// }
/// ```
package actor DiskCacheStore: CacheStore {
    private enum Phase {
        case closed
        case opening(Task<Void, any Error>)
        case open(JournalWriter)
    }

    package nonisolated let maxSize: Int
    private let files: EntryFiles
    private let pool: BlockingWorkPool
    private let compactionThreshold: Int
    private var index: CacheIndex
    /// Small entries also kept in memory; see `ResidentEntries`.
    private var resident: ResidentEntries
    private var phase = Phase.closed
    private var report: DiskCacheOpening?

    /// Cheap: the directory is created and the journal read on first use, on the pool.
    package init(directory: URL, maxSize: Int) throws {
        try self.init(directory: directory, maxSize: maxSize, compactionThreshold: 2000, pool: .shared)
    }

    /// `compactionThreshold`: how many redundant journal records (and at least as many as
    /// there are entries) make the store rewrite its journal.
    package init(directory: URL, maxSize: Int, compactionThreshold: Int, pool: BlockingWorkPool) throws {
        guard directory.isFileURL else {
            throw DiskCacheStoreError.invalidConfiguration("not a file URL: \(directory)")
        }
        guard maxSize > 0 else { throw DiskCacheStoreError.invalidConfiguration("maxSize must be positive") }
        var path = directory.path(percentEncoded: false)
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.maxSize = maxSize
        self.files = EntryFiles(directory: path)
        self.pool = pool
        self.compactionThreshold = compactionThreshold
        self.index = CacheIndex(maxSize: maxSize, compactionThreshold: compactionThreshold)
        self.resident = ResidentEntries(limit: min(maxSize / 4, 8 << 20))
    }

    package func size() async throws -> Int {
        _ = try await journal()
        return index.size
    }

    package func snapshot(for key: String) async throws -> (any CacheSnapshot)? {
        try check(key)
        let journal = try await journal()
        // A commit or removal may delete the files between the lookup and the opening: look
        // again, and only call the entry damaged when the index still names the same files.
        for _ in 0..<3 {
            guard let entry = index.entries[key] else { return nil }
            if let kept = resident.lookUp(key, current: entry) {
                index.touch(key)
                return ResidentSnapshot(metadata: kept.metadata, body: kept.body)
            }
            let files = self.files
            if entry.bodySize <= ResidentEntries.maxBodySize {
                guard let (metadata, body) = try await pool.runAbandoningOnCancel({ try files.readWhole(key, entry) })
                else {
                    guard index.entries[key] == entry else { continue }
                    try await apply(index.remove(key), to: journal)
                    return nil
                }
                if let record = index.recordRead(key) {
                    enqueue(CacheIndex.Changes(records: [record], rewriteJournal: index.compactionDue), to: journal)
                }
                if index.entries[key] == entry {
                    resident.insert(key, identity: entry, metadata: metadata, body: body)
                }
                return ResidentSnapshot(metadata: metadata, body: body)
            }
            // Abandoned on cancellation: a snapshot opened for nobody closes its file when dropped.
            switch try await pool.runAbandoningOnCancel({ try files.open(key, entry) }) {
            case .snapshot(let metadata, let body):
                if let record = index.recordRead(key) {
                    enqueue(CacheIndex.Changes(records: [record], rewriteJournal: index.compactionDue), to: journal)
                }
                return DiskCacheSnapshot(metadata: metadata, bodySize: entry.bodySize, body: body, pool: pool)
            case .unavailable:
                guard index.entries[key] == entry else { continue }
                try await apply(index.remove(key), to: journal)
                return nil
            }
        }
        return nil
    }

    package func edit(_ key: String) async throws -> (any CacheEditor)? {
        try check(key)
        _ = try await journal()
        guard let generation = index.beginEdit(key) else { return nil }
        return DiskCacheEditor(
            store: self, key: key, generation: generation, files: files, pool: pool, maxSize: maxSize)
    }

    package func remove(_ key: String) async throws {
        try check(key)
        let journal = try await journal()
        resident.remove(key)
        try await apply(index.remove(key), to: journal)
    }

    package func removeAll() async throws {
        let journal = try await journal()
        resident.removeAll()
        try await apply(index.removeAll(), to: journal)
    }

    /// What opening the directory found (opening it now if it was not yet).
    package func openingReport() async throws -> DiskCacheOpening {
        _ = try await journal()
        return report ?? DiskCacheOpening(rebuiltFromDirectory: false, discardedFiles: 0, entries: 0)
    }

    // MARK: For the editor

    /// Completes an edit's files, then publishes it; on any failure its files are deleted and
    /// the key keeps what it held. `body` is the whole body when the edit kept it, small, in
    /// memory: the entry is then kept resident too.
    func commit(_ edit: CacheIndex.FinishedEdit, body: [UInt8]?) async throws {
        let journal = try await journal()
        let changes: CacheIndex.Changes
        do {
            let plan = try index.plan(edit)
            let files = self.files
            let metadataSize = try await pool.run { try files.complete(edit, plan) }
            changes = try index.commit(edit, plan, metadataSize: metadataSize)
            if let identity = index.entries[edit.key], let metadata = edit.metadata {
                if let body {
                    resident.insert(edit.key, identity: identity, metadata: metadata, body: body)
                } else if edit.bodySize == nil {
                    resident.refresh(edit.key, identity: identity, metadata: metadata)
                } else {
                    resident.remove(edit.key)
                }
            } else {
                resident.remove(edit.key)
            }
        } catch {
            index.endEdit(edit.key, generation: edit.generation)
            let files = self.files
            _ = try? await pool.run {
                files.remove([.metadata(edit.key, edit.generation), .body(edit.key, edit.generation)])
            }
            throw error
        }
        try await apply(changes, to: journal)
    }

    func endEdit(_ key: String, generation: UInt64) {
        index.endEdit(key, generation: generation)
    }

    // MARK: Private

    private func check(_ key: String) throws(DiskCacheStoreError) {
        guard StoreKey.isValid(key) else { throw .invalidKey(key) }
    }

    /// The journal writer, once the directory is open; the first caller opens it on the pool
    /// and the others wait for that same opening. A failed opening is tried again next time.
    private func journal() async throws -> JournalWriter {
        while true {
            switch phase {
            case .open(let journal):
                return journal
            case .opening(let task):
                try await task.value
            case .closed:
                phase = .opening(Task { try await open() })
            }
        }
    }

    private func open() async throws {
        let opening = DirectoryOpening(files: files, maxSize: maxSize, compactionThreshold: compactionThreshold)
        do {
            let opened = try await pool.run { try opening.open() }
            index = opened.index
            report = opened.report
            phase = .open(
                JournalWriter(fd: opened.journalFD, path: opening.journalPath, directory: files.directory, pool: pool))
        } catch {
            phase = .closed
            throw error
        }
    }

    /// Queues a transition's records (and a rewrite when one is due) in the order of the
    /// transitions; synchronous, so nothing can slip in between a transition and its records.
    @discardableResult
    private func enqueue(_ changes: CacheIndex.Changes, to journal: JournalWriter) -> [JournalTicket] {
        var tickets: [JournalTicket] = []
        if !changes.records.isEmpty {
            tickets.append(journal.enqueue(.append(Array(changes.records.map(\.line).joined().utf8))))
        }
        if changes.rewriteJournal {
            tickets.append(journal.enqueue(.rewrite(JournalRecord.journal(index.compactedRecords()))))
        }
        return tickets
    }

    /// Records a transition, then deletes the files it made obsolete. They are deleted even
    /// if the journal write failed: the index no longer names them, and a journal that still
    /// does loses the entry at the next opening (its files are missing), which is safe.
    private func apply(_ changes: CacheIndex.Changes, to journal: JournalWriter) async throws {
        var failure: (any Error)?
        for ticket in enqueue(changes, to: journal) {
            do { try await ticket.written() } catch { failure = failure ?? error }
        }
        if !changes.obsoleteFiles.isEmpty {
            let (files, obsolete) = (self.files, changes.obsoleteFiles)
            _ = try? await pool.run { files.remove(obsolete) }
        }
        if let failure { throw failure }
    }
}
