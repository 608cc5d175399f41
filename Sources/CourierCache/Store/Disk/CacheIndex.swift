/// What the disk store holds and in which order it was used: a pure value whose every
/// transition returns the journal records and the file deletions it implies, which the
/// `DiskCacheStore` actor then performs. Tested step by step without files.
///
/// Invariants: `size` is the sum of the entries' sizes; `order` holds exactly the entries'
/// keys; `redundantRecords` is how many journal lines a rewrite would drop (lines written
/// minus live entries); generations only grow, so a file name is never reused.
struct CacheIndex: Sendable {
    /// A committed entry: which generation's files hold it, and their sizes.
    struct Entry: Equatable, Sendable {
        var metadataGeneration: UInt64
        var bodyGeneration: UInt64
        var metadataSize: Int
        var bodySize: Int

        var size: Int { metadataSize + bodySize }

        func files(_ key: String) -> [EntryFileName] {
            [.metadata(key, metadataGeneration), .body(key, bodyGeneration)]
        }
    }

    /// An edit in progress. `hadEntry` tells a body-less commit whether it meant to keep a
    /// committed body (a 304 refreshing the head) or is a new entry with an empty one.
    private struct OpenEdit: Sendable {
        var generation: UInt64
        var hadEntry: Bool
    }

    /// What an edit brings to its commit: its metadata and body size, or nil where it wrote none.
    struct FinishedEdit: Sendable {
        var key: String
        var generation: UInt64
        var metadata: [UInt8]?
        var bodySize: Int?
    }

    /// How to complete a commit's files before publishing it.
    struct CommitPlan: Equatable, Sendable {
        enum Body: Equatable, Sendable {
            /// The edit streamed it into its own body file.
            case written(size: Int)
            /// A new entry with no body: an empty body file is created.
            case empty
            /// The committed body stays (an edit that only refreshed the metadata).
            case kept(generation: UInt64, size: Int)

            /// The body file the committed entry names, and its size, for an edit of `generation`.
            func file(editGeneration generation: UInt64) -> (generation: UInt64, size: Int) {
                switch self {
                case .written(let size): (generation, size)
                case .empty: (generation, 0)
                case .kept(let kept, let size): (kept, size)
                }
            }
        }

        enum Metadata: Equatable, Sendable {
            case written
            /// The committed metadata is copied from its file (an edit that only replaced the body).
            case kept(generation: UInt64)
        }

        var body: Body
        var metadata: Metadata
    }

    /// The journal records a transition appends, the files it made obsolete (deleted once the
    /// records are written), and whether the journal should be rewritten from `records()`.
    struct Changes: Equatable, Sendable {
        var records: [JournalRecord] = []
        var obsoleteFiles: [EntryFileName] = []
        var rewriteJournal = false
    }

    let maxSize: Int
    /// How many redundant lines (and at least as many as there are entries) make a rewrite due.
    let compactionThreshold: Int
    private(set) var entries: [String: Entry] = [:]
    private var order = LRUOrder()
    private(set) var size = 0
    private(set) var redundantRecords = 0
    private(set) var nextGeneration: UInt64 = 1
    private var edits: [String: OpenEdit] = [:]

    init(maxSize: Int, compactionThreshold: Int = 2000) {
        self.maxSize = maxSize
        self.compactionThreshold = compactionThreshold
    }

    /// Keys from least to most recently used.
    var keysByRecency: [String] { order.keys }

    // MARK: Opening

    /// Applies a journal's records in order.
    mutating func replay(_ records: [JournalRecord]) {
        for record in records {
            switch record {
            case .clean(let key, let entry): put(key, entry)
            case .read(let key): if entries[key] != nil { order.touch(key) }
            case .remove(let key): drop(key)
            }
            reserveGeneration(record)
        }
        redundantRecords = records.count - entries.count
    }

    /// Adds an entry found in the directory when rebuilding; entries are restored oldest first.
    mutating func restore(_ key: String, _ entry: Entry) {
        put(key, entry)
        reserveGenerations(through: max(entry.metadataGeneration, entry.bodyGeneration))
    }

    /// Keeps new generations above every file name seen on disk, committed or not.
    mutating func reserveGenerations(through generation: UInt64) {
        nextGeneration = max(nextGeneration, generation + 1)
    }

    /// Drops the entries some of whose files are not in `present` (deleted behind the store's
    /// back, or lost); true when any was, and the journal needs a rewrite.
    mutating func dropEntries(missingFrom present: Set<EntryFileName>) -> Bool {
        let missing = entries.filter { key, entry in !entry.files(key).allSatisfy(present.contains) }
        for key in missing.keys { drop(key) }
        return !missing.isEmpty
    }

    // MARK: Edits

    /// The generation for a new edit of `key`, or nil while another edit of it is open.
    mutating func beginEdit(_ key: String) -> UInt64? {
        guard edits[key] == nil else { return nil }
        let generation = nextGeneration
        nextGeneration += 1
        edits[key] = OpenEdit(generation: generation, hadEntry: entries[key] != nil)
        return generation
    }

    /// Ends an edit that will not commit (aborted, failed, or too large).
    mutating func endEdit(_ key: String, generation: UInt64) {
        if edits[key]?.generation == generation { edits[key] = nil }
    }

    /// What completing `edit` takes, or why it cannot commit.
    func plan(_ edit: FinishedEdit) throws(DiskCacheStoreError) -> CommitPlan {
        guard let open = edits[edit.key], open.generation == edit.generation else { throw .editDetached }
        let current = entries[edit.key]
        let body: CommitPlan.Body
        if let size = edit.bodySize {
            body = .written(size: size)
        } else if let current {
            body = .kept(generation: current.bodyGeneration, size: current.bodySize)
        } else if open.hadEntry {
            throw .committedEntryGone
        } else {
            body = .empty
        }
        let metadata: CommitPlan.Metadata
        if edit.metadata != nil {
            metadata = .written
        } else if let current {
            metadata = .kept(generation: current.metadataGeneration)
        } else {
            throw .missingMetadata
        }
        return CommitPlan(body: body, metadata: metadata)
    }

    /// Publishes an edit whose files are complete, then evicts the least recently used entries
    /// until the store fits. Throws if the plan no longer holds: the edit was detached, or the
    /// entry whose body or metadata it kept was removed while its files were being written.
    mutating func commit(
        _ edit: FinishedEdit, _ plan: CommitPlan, metadataSize: Int
    ) throws(DiskCacheStoreError) -> Changes {
        guard edits[edit.key]?.generation == edit.generation else { throw .editDetached }
        let current = entries[edit.key]
        if case .kept(let generation, _) = plan.body, current?.bodyGeneration != generation {
            throw .committedEntryGone
        }
        let (bodyGeneration, bodySize) = plan.body.file(editGeneration: edit.generation)
        if case .kept(let generation) = plan.metadata, current?.metadataGeneration != generation {
            throw .committedEntryGone
        }
        edits[edit.key] = nil
        let entry = Entry(
            metadataGeneration: edit.generation, bodyGeneration: bodyGeneration, metadataSize: metadataSize,
            bodySize: bodySize)
        var changes = Changes(records: [.clean(key: edit.key, entry: entry)])
        if let current {
            changes.obsoleteFiles.append(.metadata(edit.key, current.metadataGeneration))
            if current.bodyGeneration != bodyGeneration {
                changes.obsoleteFiles.append(.body(edit.key, current.bodyGeneration))
            }
            redundantRecords += 1
        }
        put(edit.key, entry)
        evictToFit(into: &changes)
        changes.rewriteJournal = compactionDue
        return changes
    }

    // MARK: Reads and removals

    /// Marks `key` as just used in this process's order only, with no record: a hit served from
    /// memory (`ResidentEntries`) costs no journal write, at the price of an order after a
    /// restart that has not seen it.
    mutating func touch(_ key: String) {
        guard entries[key] != nil else { return }
        order.touch(key)
    }

    /// Marks `key` as just used; the record to append, or nil if there is no such entry.
    mutating func recordRead(_ key: String) -> JournalRecord? {
        guard entries[key] != nil else { return nil }
        order.touch(key)
        redundantRecords += 1
        return .read(key: key)
    }

    /// Drops `key`'s entry and detaches its open edit, so an invalidation is not undone by a
    /// write that began before it.
    mutating func remove(_ key: String) -> Changes {
        edits[key] = nil
        guard let entry = entries[key] else { return Changes() }
        drop(key)
        redundantRecords += 2
        return Changes(records: [.remove(key: key)], obsoleteFiles: entry.files(key), rewriteJournal: compactionDue)
    }

    /// Drops every entry and detaches every edit; the journal is rewritten empty.
    mutating func removeAll() -> Changes {
        let files = entries.flatMap { key, entry in entry.files(key) }
        entries = [:]
        order.removeAll()
        edits = [:]
        size = 0
        redundantRecords = 0
        return Changes(obsoleteFiles: files, rewriteJournal: true)
    }

    /// Evicts least recently used entries until the store is within `maxSize`.
    mutating func evictToFit() -> Changes {
        var changes = Changes()
        evictToFit(into: &changes)
        changes.rewriteJournal = compactionDue
        return changes
    }

    // MARK: Compaction

    var compactionDue: Bool { redundantRecords >= compactionThreshold && redundantRecords >= entries.count }

    /// The records of a journal holding exactly the entries, oldest first, for a rewrite; from
    /// here on nothing in the journal is redundant.
    mutating func compactedRecords() -> [JournalRecord] {
        redundantRecords = 0
        return order.keys.compactMap { key in entries[key].map { .clean(key: key, entry: $0) } }
    }

    /// Every file the entries need; any other entry file in the directory is left over.
    var referencedFiles: Set<EntryFileName> {
        Set(entries.flatMap { key, entry in entry.files(key) })
    }

    // MARK: Private

    private mutating func put(_ key: String, _ entry: Entry) {
        size += entry.size - (entries[key]?.size ?? 0)
        entries[key] = entry
        order.touch(key)
    }

    private mutating func drop(_ key: String) {
        guard let entry = entries.removeValue(forKey: key) else { return }
        size -= entry.size
        order.remove(key)
    }

    private mutating func evictToFit(into changes: inout Changes) {
        while size > maxSize, let oldest = order.oldest, let entry = entries[oldest] {
            drop(oldest)
            redundantRecords += 2
            changes.records.append(.remove(key: oldest))
            changes.obsoleteFiles += entry.files(oldest)
        }
    }

    private mutating func reserveGeneration(_ record: JournalRecord) {
        if case .clean(_, let entry) = record {
            reserveGenerations(through: max(entry.metadataGeneration, entry.bodyGeneration))
        }
    }
}
