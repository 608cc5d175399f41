/// The file work of snapshots and commits, composed from `FileSystem` calls. Runs on the
/// blocking-work pool only.
struct EntryFiles: Sendable {
    let directory: String

    func path(_ file: EntryFileName) -> String {
        directory + "/" + file.name
    }

    enum Opened: Sendable {
        case snapshot(metadata: [UInt8], body: OpenFile)
        /// A file is missing or not what the index says: replaced meanwhile, or damaged.
        case unavailable
    }

    /// Reads the entry's metadata and opens its body, checking both against the index; an open
    /// body stays readable after the entry is replaced or removed (unlinking a file leaves an
    /// open descriptor's data in place).
    func open(_ key: String, _ entry: CacheIndex.Entry) throws(DiskCacheStoreError) -> Opened {
        guard let bytes = try FileSystem.readFile(path(.metadata(key, entry.metadataGeneration))),
            let record = MetadataRecord(decoding: bytes), record.bodyGeneration == entry.bodyGeneration,
            record.bodySize == entry.bodySize, record.metadata.count == entry.metadataSize
        else { return .unavailable }
        let bodyPath = path(.body(key, entry.bodyGeneration))
        guard let fd = try FileSystem.openForReading(bodyPath) else { return .unavailable }
        let body = OpenFile(fd: fd, path: bodyPath)
        guard try FileSystem.size(fd, bodyPath) == entry.bodySize else {
            body.close()
            return .unavailable
        }
        return .snapshot(metadata: record.metadata, body: body)
    }

    /// Reads a small entry whole, metadata and body, in one go: the body file is opened, read
    /// and closed at once. Nil when a file is missing or not what the index says.
    func readWhole(
        _ key: String, _ entry: CacheIndex.Entry
    ) throws(DiskCacheStoreError) -> (
        metadata: [UInt8], body: [UInt8]
    )? {
        guard case .snapshot(let metadata, let file) = try open(key, entry) else { return nil }
        defer { file.close() }
        let body = try file.withDescriptor { fd throws(DiskCacheStoreError) in
            try FileSystem.read(fd, file.path, at: 0, maxLength: entry.bodySize)
        }
        guard body.count == entry.bodySize else { return nil }
        return (metadata, body)
    }

    /// Writes the metadata file that completes a commit (and the empty body of a new entry
    /// without one); returns the metadata's size. Once this returns, the entry's files are
    /// whole, and the journal record that publishes them may be written.
    func complete(
        _ edit: CacheIndex.FinishedEdit, _ plan: CacheIndex.CommitPlan
    ) throws(DiskCacheStoreError) -> Int {
        let metadata: [UInt8]
        switch plan.metadata {
        case .written:
            metadata = edit.metadata ?? []
        case .kept(let generation):
            guard let bytes = try FileSystem.readFile(path(.metadata(edit.key, generation))),
                let record = MetadataRecord(decoding: bytes)
            else { throw .committedEntryGone }
            metadata = record.metadata
        }
        if case .empty = plan.body { try FileSystem.writeFile(path(.body(edit.key, edit.generation)), []) }
        let (bodyGeneration, bodySize) = plan.body.file(editGeneration: edit.generation)
        let record = MetadataRecord(bodyGeneration: bodyGeneration, bodySize: bodySize, metadata: metadata)
        try FileSystem.writeFile(path(.metadata(edit.key, edit.generation)), record.encoded())
        return metadata.count
    }

    /// Deletes files; a failure leaves a file that the next opening deletes as left over.
    func remove(_ files: [EntryFileName]) {
        for file in files { try? FileSystem.remove(path(file)) }
    }
}
