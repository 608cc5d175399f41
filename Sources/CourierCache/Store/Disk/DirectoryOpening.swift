/// What opening a store's directory found; for tests and diagnostics.
package struct DiskCacheOpening: Equatable, Sendable {
    /// The journal was missing, malformed or cut short, and the index was rebuilt from the
    /// metadata files.
    package var rebuiltFromDirectory: Bool
    /// Entry files deleted because nothing committed names them: edits that never committed
    /// (a crash mid-write), torn metadata files, replaced generations not yet deleted.
    package var discardedFiles: Int
    /// The entries the store opened with.
    package var entries: Int
}

/// Opens a store's directory: replays the journal, or rebuilds the index from the directory
/// when the journal cannot be trusted, deletes every entry file that nothing committed names,
/// and leaves a journal that holds exactly the index. Runs on the blocking-work pool, once per
/// store, on first use.
struct DirectoryOpening {
    let files: EntryFiles
    let maxSize: Int
    let compactionThreshold: Int

    var journalPath: String { files.directory + "/journal" }

    func open() throws(DiskCacheStoreError) -> (index: CacheIndex, journalFD: Int32, report: DiskCacheOpening) {
        try FileSystem.makeDirectories(files.directory)
        let names = try FileSystem.list(files.directory)
        let found = names.compactMap(EntryFileName.init(parsing:))
        let journal = try FileSystem.readFile(journalPath)

        var index = CacheIndex(maxSize: maxSize, compactionThreshold: compactionThreshold)
        var rebuilt = false
        var rewrite = false
        if let journal, let records = JournalRecord.parse(journal: journal) {
            index.replay(records)
            rewrite = index.dropEntries(missingFrom: Set(found))
        } else if journal == nil && found.isEmpty {
            rewrite = true
        } else {
            index = try rebuild(from: found)
            (rebuilt, rewrite) = (true, true)
        }
        for file in found { index.reserveGenerations(through: file.generation) }
        if !index.evictToFit().records.isEmpty { rewrite = true }

        let referenced = index.referencedFiles
        let leftOver = found.filter { !referenced.contains($0) }
        files.remove(leftOver)
        try FileSystem.remove(journalPath + ".tmp")
        if rewrite || index.compactionDue {
            let temporary = journalPath + ".tmp"
            try FileSystem.writeFile(temporary, JournalRecord.journal(index.compactedRecords()), sync: true)
            try FileSystem.rename(temporary, to: journalPath)
            try FileSystem.syncDirectory(files.directory)
        }
        let fd = try FileSystem.openForAppending(journalPath)
        let report = DiskCacheOpening(
            rebuiltFromDirectory: rebuilt, discardedFiles: leftOver.count, entries: index.entries.count)
        return (index, fd, report)
    }

    /// The index the metadata files describe: per key, the newest intact metadata file whose
    /// body file is there at the length it records. Recency is lost with the journal, so the
    /// entries are ordered by generation, that is by when they were written.
    private func rebuild(from found: [EntryFileName]) throws(DiskCacheStoreError) -> CacheIndex {
        let bodies = Set(found.filter { $0.kind == .body })
        let metadataFiles = found.filter { $0.kind == .metadata }.sorted { $0.generation > $1.generation }
        var entries: [String: CacheIndex.Entry] = [:]
        for file in metadataFiles where entries[file.key] == nil {
            guard let bytes = try FileSystem.readFile(files.path(file)), let record = MetadataRecord(decoding: bytes)
            else { continue }
            let body = EntryFileName.body(file.key, record.bodyGeneration)
            guard bodies.contains(body), try FileSystem.size(files.path(body)) == record.bodySize else { continue }
            entries[file.key] = CacheIndex.Entry(
                metadataGeneration: file.generation, bodyGeneration: record.bodyGeneration,
                metadataSize: record.metadata.count, bodySize: record.bodySize)
        }
        var index = CacheIndex(maxSize: maxSize, compactionThreshold: compactionThreshold)
        for (key, entry) in entries.sorted(by: { $0.value.metadataGeneration < $1.value.metadataGeneration }) {
            index.restore(key, entry)
        }
        return index
    }
}
