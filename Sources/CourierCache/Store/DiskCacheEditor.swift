import CourierCore

/// One open write of a disk-store entry, by one writer calling it in sequence.
///
/// The body streams into a file of the edit's own generation, which nothing reads until the
/// commit publishes it; metadata stays in memory until the commit writes it, whole, in the
/// entry's metadata file. A process that dies mid-edit leaves only files no journal record
/// names, which the next opening deletes.
actor DiskCacheEditor: CacheEditor {
    /// Body bytes gathered before a write, so a body streamed in small chunks costs few trips
    /// to the blocking-work pool.
    private static let writeSize = 64 << 10

    private let store: DiskCacheStore
    private let key: String
    private let generation: UInt64
    private let files: EntryFiles
    private let pool: BlockingWorkPool
    private let maxSize: Int

    private var metadata: [UInt8]?
    /// The body file, created on the first write; a task so that writes that overlap share it.
    private var bodyFile: Task<Int32, any Error>?
    private var bodyStarted = false
    private var bodySize = 0
    private var buffered: [UInt8] = []
    /// The whole body while it is small enough to be kept resident after the commit.
    private var wholeBody: [UInt8]? = []
    private var written = 0
    private var finished = false

    init(
        store: DiskCacheStore, key: String, generation: UInt64, files: EntryFiles, pool: BlockingWorkPool,
        maxSize: Int
    ) {
        self.store = store
        self.key = key
        self.generation = generation
        self.files = files
        self.pool = pool
        self.maxSize = maxSize
    }

    func writeMetadata(_ bytes: [UInt8]) async throws {
        try checkOpen()
        metadata = bytes
        try await checkSize()
    }

    /// Throws `entryTooLarge` (and aborts the edit) once metadata and body exceed `maxSize`:
    /// such an entry would be evicted as soon as it was committed.
    func appendBody(_ bytes: [UInt8]) async throws {
        try checkOpen()
        bodyStarted = true
        bodySize += bytes.count
        buffered += bytes
        if bodySize <= ResidentEntries.maxBodySize { wholeBody? += bytes } else { wholeBody = nil }
        try await checkSize()
        if buffered.count >= DiskCacheEditor.writeSize { try await flush() }
    }

    func commit() async throws {
        try checkOpen()
        finished = true
        do {
            if bodyStarted { try await flush() }
            try await closeBodyFile()
        } catch {
            await discard()
            throw error
        }
        try await store.commit(
            CacheIndex.FinishedEdit(
                key: key, generation: generation, metadata: metadata, bodySize: bodyStarted ? bodySize : nil),
            body: bodyStarted ? wholeBody : nil)
    }

    func abort() async {
        guard !finished else { return }
        finished = true
        await discard()
    }

    private func checkOpen() throws(DiskCacheStoreError) {
        if finished { throw .editFinished }
    }

    private func checkSize() async throws {
        guard (metadata?.count ?? 0) + bodySize > maxSize else { return }
        finished = true
        await discard()
        throw DiskCacheStoreError.entryTooLarge(maxSize: maxSize)
    }

    /// Writes what is buffered at its place in the body file.
    private func flush() async throws {
        let bytes = buffered
        let offset = written
        buffered = []
        written += bytes.count
        let path = files.path(.body(key, generation))
        let file = bodyFile ?? Task { [pool] in try await pool.run { try FileSystem.createForWriting(path) } }
        bodyFile = file
        let fd = try await file.value
        guard !bytes.isEmpty else { return }
        try await pool.run { try FileSystem.write(fd, path, bytes, at: offset) }
    }

    private func closeBodyFile() async throws {
        guard let file = bodyFile else { return }
        bodyFile = nil
        let fd = try await file.value
        try await pool.run { FileSystem.close(fd) }
    }

    /// Lets go of everything the edit holds: its body file and its claim on the key.
    private func discard() async {
        try? await closeBodyFile()
        let (files, key, generation) = (self.files, self.key, self.generation)
        _ = try? await pool.run { files.remove([.body(key, generation)]) }
        await store.endEdit(key, generation: generation)
    }

    /// An editor dropped without a commit or an abort still lets go of its file and its key.
    deinit {
        guard !finished else { return }
        let (store, files, pool, bodyFile) = (self.store, self.files, self.pool, self.bodyFile)
        let (key, generation) = (self.key, self.generation)
        Task {
            if let fd = try? await bodyFile?.value { _ = try? await pool.run { FileSystem.close(fd) } }
            _ = try? await pool.run { files.remove([.body(key, generation)]) }
            await store.endEdit(key, generation: generation)
        }
    }
}
