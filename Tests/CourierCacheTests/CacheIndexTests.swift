import Testing

@testable import CourierCache

/// The index's transitions, step by step and without files: what each one records in the
/// journal and which files it makes obsolete.
@Suite("Disk cache index")
struct CacheIndexTests {
    private typealias Entry = CacheIndex.Entry

    /// Begins, plans and commits an edit of `key` that writes both parts.
    private func put(
        _ index: inout CacheIndex, _ key: String, metadata: Int, body: Int
    ) throws -> (generation: UInt64, changes: CacheIndex.Changes) {
        let generationStarted = index.beginEdit(key)
        let generation = try #require(generationStarted)
        let edit = CacheIndex.FinishedEdit(
            key: key, generation: generation, metadata: [UInt8](repeating: 0, count: metadata), bodySize: body)
        let plan = try index.plan(edit)
        return (generation, try index.commit(edit, plan, metadataSize: metadata))
    }

    @Test("A commit records CLEAN and makes the replaced generation's files obsolete")
    func commitAndReplace() throws {
        var index = CacheIndex(maxSize: 10_000)
        let (first, added) = try put(&index, "k", metadata: 10, body: 90)
        let entry = Entry(metadataGeneration: first, bodyGeneration: first, metadataSize: 10, bodySize: 90)
        #expect(added == CacheIndex.Changes(records: [.clean(key: "k", entry: entry)]))
        #expect(index.size == 100)
        #expect(index.redundantRecords == 0)

        let (second, replaced) = try put(&index, "k", metadata: 20, body: 30)
        #expect(second > first)
        #expect(replaced.obsoleteFiles == [.metadata("k", first), .body("k", first)])
        #expect(index.size == 50)
        #expect(index.redundantRecords == 1)
        #expect(index.referencedFiles == [.metadata("k", second), .body("k", second)])
    }

    @Test("A metadata-only commit keeps the body generation and obsoletes only the old metadata")
    func metadataOnly() throws {
        var index = CacheIndex(maxSize: 10_000)
        let (first, _) = try put(&index, "k", metadata: 10, body: 90)
        let generationStarted = index.beginEdit("k")
        let generation = try #require(generationStarted)
        let edit = CacheIndex.FinishedEdit(key: "k", generation: generation, metadata: [1, 2], bodySize: nil)
        let plan = try index.plan(edit)
        #expect(plan == CacheIndex.CommitPlan(body: .kept(generation: first, size: 90), metadata: .written))
        let changes = try index.commit(edit, plan, metadataSize: 2)
        #expect(changes.obsoleteFiles == [.metadata("k", first)])
        #expect(
            index.entries["k"]
                == Entry(metadataGeneration: generation, bodyGeneration: first, metadataSize: 2, bodySize: 90))
        #expect(index.size == 92)
    }

    @Test("Plans: a new entry needs metadata, has an empty body without one, and a kept part must still be there")
    func plans() throws {
        var index = CacheIndex(maxSize: 1000)
        let freshStarted = index.beginEdit("new")
        let fresh = try #require(freshStarted)
        #expect(throws: DiskCacheStoreError.missingMetadata) {
            try index.plan(CacheIndex.FinishedEdit(key: "new", generation: fresh, metadata: nil, bodySize: 5))
        }
        #expect(
            try index.plan(CacheIndex.FinishedEdit(key: "new", generation: fresh, metadata: [1], bodySize: nil))
                == CacheIndex.CommitPlan(body: .empty, metadata: .written))

        _ = try put(&index, "k", metadata: 100, body: 400)
        let refreshStarted = index.beginEdit("k")
        let refresh = try #require(refreshStarted)
        let edit = CacheIndex.FinishedEdit(key: "k", generation: refresh, metadata: [1], bodySize: nil)
        let plan = try index.plan(edit)
        _ = try put(&index, "other", metadata: 100, body: 800)  // evicts k
        #expect(index.entries["k"] == nil)
        #expect(throws: DiskCacheStoreError.committedEntryGone) { try index.commit(edit, plan, metadataSize: 1) }
        #expect(throws: DiskCacheStoreError.committedEntryGone) { try index.plan(edit) }
    }

    @Test("Eviction takes the least recently used first, until the size fits")
    func eviction() throws {
        var index = CacheIndex(maxSize: 300)
        for key in ["a", "b", "c"] { _ = try put(&index, key, metadata: 0, body: 100) }
        let readRecord = index.recordRead("a")
        #expect(readRecord == .read(key: "a"))
        let missingRecord = index.recordRead("zz")
        #expect(missingRecord == nil)
        #expect(index.keysByRecency == ["b", "c", "a"])
        let (_, changes) = try put(&index, "d", metadata: 50, body: 150)
        #expect(changes.records.dropFirst() == [.remove(key: "b"), .remove(key: "c")])
        #expect(index.keysByRecency == ["a", "d"])
        #expect(index.size == 300)
        // An entry larger than the whole store evicts everything, itself included.
        let (_, huge) = try put(&index, "e", metadata: 0, body: 301)
        #expect(huge.records.dropFirst() == [.remove(key: "a"), .remove(key: "d"), .remove(key: "e")])
        #expect(index.size == 0)
        #expect(index.entries.isEmpty)
    }

    @Test("One edit per key; removal detaches it so its commit publishes nothing")
    func edits() throws {
        var index = CacheIndex(maxSize: 1000)
        let firstStarted = index.beginEdit("k")
        let first = try #require(firstStarted)
        let secondEdit = index.beginEdit("k")
        #expect(secondEdit == nil)
        let removal = index.remove("k")
        #expect(removal == CacheIndex.Changes())
        let secondStarted = index.beginEdit("k")
        let second = try #require(secondStarted)
        #expect(second != first)
        let stale = CacheIndex.FinishedEdit(key: "k", generation: first, metadata: [1], bodySize: 1)
        #expect(throws: DiskCacheStoreError.editDetached) { try index.plan(stale) }
        index.endEdit("k", generation: first)  // a stale end leaves the current edit alone
        let editAfterStaleEnd = index.beginEdit("k")
        #expect(editAfterStaleEnd == nil)
        index.endEdit("k", generation: second)
        let editAfterEnd = index.beginEdit("k")
        #expect(editAfterEnd != nil)
    }

    @Test("Replaying a journal restores entries, order, size and the redundancy count")
    func replay() {
        let a1 = Entry(metadataGeneration: 1, bodyGeneration: 1, metadataSize: 1, bodySize: 10)
        let b2 = Entry(metadataGeneration: 2, bodyGeneration: 2, metadataSize: 2, bodySize: 20)
        let a3 = Entry(metadataGeneration: 3, bodyGeneration: 1, metadataSize: 3, bodySize: 10)
        let c4 = Entry(metadataGeneration: 4, bodyGeneration: 4, metadataSize: 4, bodySize: 40)
        var index = CacheIndex(maxSize: 1000)
        index.replay([
            .clean(key: "a", entry: a1), .clean(key: "b", entry: b2), .clean(key: "a", entry: a3),
            .clean(key: "c", entry: c4), .read(key: "b"), .remove(key: "c"), .read(key: "c"),
        ])
        #expect(index.entries == ["a": a3, "b": b2])
        #expect(index.keysByRecency == ["a", "b"])
        #expect(index.size == 13 + 22)
        #expect(index.redundantRecords == 5)
        #expect(index.nextGeneration == 5)
        let dropped = index.dropEntries(missingFrom: [.metadata("a", 3), .body("a", 1), .metadata("b", 2)])
        #expect(dropped)
        #expect(index.entries == ["a": a3])
    }

    @Test("Compaction is due when redundant records reach the threshold and outnumber the entries")
    func compaction() throws {
        var index = CacheIndex(maxSize: 100_000, compactionThreshold: 4)
        for key in ["a", "b", "c", "d", "e"] { _ = try put(&index, key, metadata: 1, body: 1) }
        for _ in 0..<4 { _ = index.recordRead("a") }
        #expect(!index.compactionDue)  // 4 redundant records, 5 entries
        _ = index.recordRead("b")
        #expect(index.compactionDue)
        let records = index.compactedRecords()
        #expect(records.count == 5)
        #expect(records.first == .clean(key: "c", entry: index.entries["c"]!))
        #expect(records.last == .clean(key: "b", entry: index.entries["b"]!))
        #expect(index.redundantRecords == 0)
        #expect(!index.compactionDue)
    }

    @Test("The LRU order moves, removes and lists keys")
    func lruOrder() {
        var order = LRUOrder()
        for key in ["a", "b", "c", "d"] { order.touch(key) }
        order.touch("b")
        order.touch("d")
        order.remove("a")
        order.remove("zz")
        #expect(order.keys == ["c", "b", "d"])
        #expect(order.oldest == "c")
        order.remove("d")
        order.touch("a")
        #expect(order.keys == ["c", "b", "a"])
        order.removeAll()
        #expect(order.keys == [])
        #expect(order.oldest == nil)
    }
}
