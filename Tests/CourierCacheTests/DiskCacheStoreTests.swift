import CourierCache
import CourierCore
import Dispatch
import FoundationEssentials
import Glibc
import Testing

@Suite("Disk cache store")
struct DiskCacheStoreTests {
    @Test("A committed entry reads back whole: metadata, body and size")
    func roundTrip() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let body = bytes(100_000)
                try await store.put("k", metadata: "head", body: body, chunk: 7000)
                let snapshot = try #require(try await store.snapshot(for: "k"))
                #expect(snapshot.metadata == Array("head".utf8))
                #expect(snapshot.bodySize == body.count)
                #expect(try await snapshot.readAll() == body)
                #expect(try await snapshot.readBody(from: 99_990, maxLength: 100) == Array(body[99_990...]))
                #expect(try await snapshot.readBody(from: body.count, maxLength: 10) == [])
                await snapshot.close()
                #expect(try await store.size() == 4 + body.count)
                #expect(try await store.snapshot(for: "absent") == nil)
            }
        }
    }

    @Test("An entry with no body commits with an empty one")
    func emptyBody() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let editor = try #require(try await store.edit("k"))
                try await editor.writeMetadata([1, 2, 3])
                try await editor.commit()
                let entry = try #require(try await store.read("k"))
                #expect(entry.body.isEmpty)
                #expect(try await store.size() == 3)
            }
        }
    }

    @Test("Replacing an entry leaves a snapshot taken before it reading the old body")
    func replace() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "old", body: bytes(5000, seed: 1))
                let before = try #require(try await store.snapshot(for: "k"))
                try await store.put("k", metadata: "new", body: bytes(3000, seed: 2))
                #expect(try await before.readAll() == bytes(5000, seed: 1))
                #expect(before.metadata == Array("old".utf8))
                await before.close()
                let after = try #require(try await store.read("k"))
                #expect(after.metadata == "new")
                #expect(after.body == bytes(3000, seed: 2))
                #expect(try await store.size() == 3 + 3000)
                // Only the new generation's two files and the journal remain.
                #expect(directoryListing(directory).count == 3)
            }
        }
    }

    @Test("While a new body streams in, readers get the committed entry until the commit")
    func readersDuringStreamingWrite() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "old", body: bytes(50_000, seed: 1))
                let editor = try #require(try await store.edit("k"))
                try await editor.writeMetadata(Array("new".utf8))
                for round in 0..<4 {
                    try await editor.appendBody(bytes(40_000, seed: UInt8(round)))
                    let during = try #require(try await store.read("k"))
                    #expect(during.metadata == "old")
                    #expect(during.body == bytes(50_000, seed: 1))
                }
                let held = try #require(try await store.snapshot(for: "k"))
                try await editor.commit()
                #expect(try await store.read("k")?.body == (0..<4).flatMap { bytes(40_000, seed: UInt8($0)) })
                #expect(try await held.readAll() == bytes(50_000, seed: 1))
                await held.close()
            }
        }
    }

    @Test("Removing an entry leaves an open snapshot readable, and the entry gone")
    func removeWithOpenSnapshot() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "m", body: bytes(70_000))
                let snapshot = try #require(try await store.snapshot(for: "k"))
                try await store.remove("k")
                #expect(try await store.snapshot(for: "k") == nil)
                #expect(try await store.size() == 0)
                #expect(directoryListing(directory) == ["journal"])
                #expect(try await snapshot.readAll() == bytes(70_000))
                await snapshot.close()
            }
        }
    }

    @Test("An edit that writes only metadata keeps the committed body (a 304 refresh)")
    func metadataOnlyEdit() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "first head", body: bytes(9000))
                let editor = try #require(try await store.edit("k"))
                try await editor.writeMetadata(Array("second".utf8))
                try await editor.commit()
                let entry = try #require(try await store.read("k"))
                #expect(entry.metadata == "second")
                #expect(entry.body == bytes(9000))
                #expect(try await store.size() == 6 + 9000)
                // The body file is shared by the new metadata; the old metadata file is gone.
                #expect(directoryListing(directory).count == 3)
            }
        }
    }

    @Test("An edit that writes only a body keeps the committed metadata")
    func bodyOnlyEdit() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "head", body: bytes(10))
                let editor = try #require(try await store.edit("k"))
                try await editor.appendBody(bytes(20, seed: 9))
                try await editor.commit()
                let entry = try #require(try await store.read("k"))
                #expect(entry.metadata == "head")
                #expect(entry.body == bytes(20, seed: 9))
            }
        }
    }

    @Test("A new entry without metadata is refused and leaves nothing behind")
    func newEntryWithoutMetadata() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let editor = try #require(try await store.edit("k"))
                try await editor.appendBody(bytes(10))
                await #expect(throws: DiskCacheStoreError.missingMetadata) { try await editor.commit() }
                #expect(try await store.snapshot(for: "k") == nil)
                #expect(directoryListing(directory) == ["journal"])
                #expect(try await store.edit("k") != nil)
            }
        }
    }

    @Test("Least recently used entries are evicted first, and the size stays exact")
    func evictionOrder() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                // Each entry is 1 + 999 = 1000 bytes; three fit.
                let store = try DiskCacheStore(directory: directory, maxSize: 3000)
                for key in ["a", "b", "c"] { try await store.put(key, metadata: key, body: bytes(999)) }
                #expect(try await store.size() == 3000)
                _ = try await store.read("a")  // a is now the most recently used
                try await store.put("d", metadata: "d", body: bytes(999))
                #expect(try await store.snapshot(for: "b") == nil)
                #expect(try await store.size() == 3000)
                try await store.put("e", metadata: "e", body: bytes(1999))  // 2000 bytes: c and a go
                #expect(try await store.snapshot(for: "c") == nil)
                #expect(try await store.snapshot(for: "a") == nil)
                #expect(try await store.read("d") != nil)
                #expect(try await store.read("e") != nil)
                #expect(try await store.size() == 3000)
                #expect(directoryListing(directory).count == 5)
            }
        }
    }

    @Test("An entry larger than the whole store is refused while it is written")
    func entryTooLarge() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1000)
                try await store.put("small", metadata: "m", body: bytes(100))
                let editor = try #require(try await store.edit("big"))
                try await editor.writeMetadata([0])
                try await editor.appendBody(bytes(900))
                await #expect(throws: DiskCacheStoreError.entryTooLarge(maxSize: 1000)) {
                    try await editor.appendBody(bytes(100))
                }
                await #expect(throws: DiskCacheStoreError.editFinished) { try await editor.commit() }
                #expect(try await store.read("small") != nil)
                #expect(try await store.edit("big") != nil)
            }
        }
    }

    @Test("A second edit of a key is refused while the first is open")
    func concurrentEditRefused() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let first = try #require(try await store.edit("k"))
                #expect(try await store.edit("k") == nil)
                #expect(try await store.edit("other") != nil)
                await first.abort()
                let second = try #require(try await store.edit("k"))
                try await second.writeMetadata([1])
                #expect(try await store.edit("k") == nil)
                try await second.commit()
                #expect(try await store.edit("k") != nil)
            }
        }
    }

    @Test("An aborted edit leaves the committed entry as it was")
    func abortKeepsEntry() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "kept", body: bytes(500))
                let editor = try #require(try await store.edit("k"))
                try await editor.writeMetadata(Array("dropped".utf8))
                try await editor.appendBody(bytes(70_000, seed: 3))
                await editor.abort()
                await #expect(throws: DiskCacheStoreError.editFinished) { try await editor.appendBody([1]) }
                let entry = try #require(try await store.read("k"))
                #expect(entry.metadata == "kept")
                #expect(entry.body == bytes(500))
                #expect(directoryListing(directory).count == 3)
            }
        }
    }

    @Test("Removing a key while it is being written drops that write: the invalidation wins")
    func removeDetachesEdit() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let editor = try #require(try await store.edit("k"))
                try await editor.writeMetadata([1])
                try await editor.appendBody(bytes(100))
                try await store.remove("k")
                await #expect(throws: DiskCacheStoreError.editDetached) { try await editor.commit() }
                #expect(try await store.snapshot(for: "k") == nil)
                #expect(directoryListing(directory) == ["journal"])
            }
        }
    }

    @Test("removeAll drops every entry and keeps open snapshots readable")
    func removeAll() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                for key in ["a", "b", "c"] { try await store.put(key, metadata: key, body: bytes(300)) }
                let snapshot = try #require(try await store.snapshot(for: "b"))
                try await store.removeAll()
                #expect(try await store.size() == 0)
                #expect(try await store.snapshot(for: "a") == nil)
                #expect(directoryListing(directory) == ["journal"])
                #expect(try await snapshot.readAll() == bytes(300))
                await snapshot.close()
                try await store.put("a", metadata: "again", body: bytes(1))
                #expect(try await store.read("a")?.metadata == "again")
            }
        }
    }

    @Test("Keys outside [a-z0-9_-]{1,120} are rejected")
    func invalidKeys() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                for key in ["", "A", "a.b", "a/b", "a b", "é", String(repeating: "a", count: 121), "../journal"] {
                    await #expect(throws: DiskCacheStoreError.invalidKey(key)) { try await store.edit(key) }
                    await #expect(throws: DiskCacheStoreError.invalidKey(key)) { try await store.snapshot(for: key) }
                    await #expect(throws: DiskCacheStoreError.invalidKey(key)) { try await store.remove(key) }
                }
                #expect(try await store.edit(String(repeating: "a", count: 120)) != nil)
                #expect(try await store.edit("0123456789abcdef_-") != nil)
            }
        }
    }

    @Test("Reading a closed snapshot fails")
    func closedSnapshot() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("k", metadata: "m", body: bytes(10))
                let snapshot = try #require(try await store.snapshot(for: "k"))
                await snapshot.close()
                await snapshot.close()
                await #expect(throws: DiskCacheStoreError.snapshotClosed) {
                    try await snapshot.readBody(from: 0, maxLength: 5)
                }
                await #expect(throws: DiskCacheStoreError.snapshotClosed) {
                    try await snapshot.readBody(from: 10, maxLength: 5)
                }
            }
        }
    }

    @Test("Creating a store touches nothing on disk until it is used")
    func lazyOpening() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let nested = directory.appending(path: "a/b")
                let store = try DiskCacheStore(directory: nested, maxSize: 1 << 20)
                #expect(directoryListing(directory).isEmpty)
                #expect(try await store.size() == 0)
                #expect(directoryListing(nested) == ["journal"])
                #expect(throws: DiskCacheStoreError.self) { try DiskCacheStore(directory: nested, maxSize: 0) }
            }
        }
    }

    @Test("A cancelled reader stops waiting for a busy pool at once")
    func cancelledReader() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let pool = BlockingWorkPool(threads: 1)
                let store = try DiskCacheStore(
                    directory: directory, maxSize: 1 << 20, compactionThreshold: 2000, pool: pool)
                // Larger than a resident entry, so that opening it needs the pool.
                try await store.put("k", metadata: "m", body: bytes(ResidentEntries.maxBodySize + 1))
                let snapshot = try #require(try await store.snapshot(for: "k"))
                // The pool's one thread is busy until the test lets it go.
                let release = DispatchSemaphore(value: 0)
                defer { release.signal() }
                let poolFreed = DispatchSemaphore(value: 0)
                pool.submit {
                    release.wait()
                    poolFreed.signal()
                }
                let reader = Task { try await snapshot.readBody(from: 0, maxLength: 100) }
                let opener = Task { try await store.snapshot(for: "k") }
                // Nothing to await for "both wait on the pool now"; a moment makes that the likely
                // case, and a cancellation before they got there must end them at once too.
                try await Task.sleep(for: .milliseconds(20))
                reader.cancel()
                opener.cancel()
                await #expect(throws: CancellationError.self) { try await reader.value }
                await #expect(throws: CancellationError.self) { try await opener.value }
                // Ordering, not time: they ended while the pool was still busy.
                #expect(poolFreed.wait(timeout: .now()) == .timedOut)
                release.signal()
                #expect(try await snapshot.readBody(from: 0, maxLength: 100) == bytes(100))
                await snapshot.close()
            }
        }
    }

    @Test("Many readers and writers at once see only whole entries")
    func concurrentReadersAndWriters() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<4 {
                        group.addTask {
                            for round in 0..<10 {
                                let entry = TortureEntry(seed: UInt64(writer * 100 + round), size: 20_000, revision: 0)
                                guard let editor = try await store.edit("k\(round % 3)") else { continue }
                                try await editor.writeMetadata(entry.metadata)
                                try await editor.appendBody(entry.body)
                                try await editor.commit()
                            }
                        }
                    }
                    for _ in 0..<8 {
                        group.addTask {
                            for round in 0..<20 {
                                guard let snapshot = try await store.snapshot(for: "k\(round % 3)") else { continue }
                                let body = try await snapshot.readAll(chunk: 3000)
                                await snapshot.close()
                                let entry = try #require(TortureEntry(metadata: snapshot.metadata))
                                #expect(body == entry.body)
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // The journal was written in the order the index changed: replaying it gives
                // the same entries.
                let reopened = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                #expect(try await reopened.openingReport().rebuiltFromDirectory == false)
                #expect(try await reopened.size() == store.size())
                for key in ["k0", "k1", "k2"] {
                    #expect(try await reopened.read(key)?.metadata == store.read(key)?.metadata)
                }
            }
        }
    }

    @Test("A small entry is served from memory, and never once it was replaced or removed")
    func residentEntries() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("a", metadata: "one", body: bytes(100))
                // Its files gone behind the store's back: the copy in memory still answers.
                for name in directoryListing(directory) where name != "journal" {
                    unlink(directory.appending(path: name).path(percentEncoded: false))
                }
                let kept = try #require(try await store.read("a"))
                #expect(kept.metadata == "one" && kept.body == bytes(100))
                try await store.put("a", metadata: "two", body: bytes(50))
                #expect(try await store.read("a")?.metadata == "two")
                #expect(try await store.read("a")?.body == bytes(50))
                try await store.remove("a")
                #expect(try await store.snapshot(for: "a") == nil)
                // Reopened, a small entry is read from its files once, then from memory.
                try await store.put("b", metadata: "three", body: bytes(10))
                let reopened = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                #expect(try await reopened.read("b")?.metadata == "three")
                for name in directoryListing(directory) where name.hasPrefix("b.") {
                    unlink(directory.appending(path: name).path(percentEncoded: false))
                }
                #expect(try await reopened.read("b")?.body == bytes(10))
            }
        }
    }
}
