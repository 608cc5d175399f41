import CourierCore
import FoundationEssentials
import Testing

@testable import CourierCache

/// What a store finds when it opens a directory another store (or a crash) left behind.
@Suite("Disk cache store: reopening")
struct DiskCacheRecoveryTests {
    @Test("A new store on the same directory sees the committed entries and not the uncommitted ones")
    func restart() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let first = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await first.put("kept", metadata: "committed", body: bytes(20_000))
                try await first.put("replaced", metadata: "v1", body: bytes(10))
                let pending = try #require(try await first.edit("pending"))
                try await pending.writeMetadata([1])
                try await pending.appendBody(bytes(100_000))  // streamed to its file, never committed
                let replacing = try #require(try await first.edit("replaced"))
                try await replacing.writeMetadata(Array("v2".utf8))
                try await replacing.appendBody(bytes(70_000))

                let second = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let report = try await second.openingReport()
                #expect(!report.rebuiltFromDirectory)
                #expect(report.entries == 2)
                #expect(report.discardedFiles == 2)  // the two uncommitted body files
                #expect(try await second.read("kept")?.body == bytes(20_000))
                #expect(try await second.read("replaced")?.metadata == "v1")
                #expect(try await second.snapshot(for: "pending") == nil)
                #expect(try await second.size() == 9 + 20_000 + 2 + 10)
                #expect(directoryListing(directory).count == 5)
                await pending.abort()
                await replacing.abort()
            }
        }
    }

    @Test("The order of use survives a restart")
    func recencySurvivesRestart() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let first = try DiskCacheStore(directory: directory, maxSize: 3000)
                for key in ["a", "b", "c"] { try await first.put(key, metadata: key, body: bytes(999)) }
                _ = try await first.read("a")
                let second = try DiskCacheStore(directory: directory, maxSize: 3000)
                try await second.put("d", metadata: "d", body: bytes(999))
                #expect(try await second.snapshot(for: "b") == nil)
                #expect(try await second.read("a") != nil)
                // A smaller limit evicts at opening, least recently used first.
                let third = try DiskCacheStore(directory: directory, maxSize: 2000)
                #expect(try await third.snapshot(for: "c") == nil)
                #expect(try await third.size() == 2000)
            }
        }
    }

    @Test(
        "A corrupt or truncated journal is rebuilt from the directory",
        arguments: [
            "cut mid-record", "garbage record", "wrong header", "empty", "missing",
        ])
    func corruptJournal(damage: String) async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let first = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await first.put("a", metadata: "a1", body: bytes(1000, seed: 1))
                try await first.put("b", metadata: "b1", body: bytes(2000, seed: 2))
                try await first.put("a", metadata: "a2", body: bytes(3000, seed: 3))
                let refresh = try #require(try await first.edit("b"))
                try await refresh.writeMetadata(Array("b2".utf8))
                try await refresh.commit()

                let journal = directory.appending(path: "journal")
                let text = readFile(journal)
                switch damage {
                case "cut mid-record": writeFile(journal, Array(text.dropLast(5)))
                case "garbage record": writeFile(journal, text + Array("CLEAN a 1 2\n".utf8))
                case "wrong header": writeFile(journal, Array("libcore.io.DiskLruCache\n".utf8) + text.dropFirst(24))
                case "empty": writeFile(journal, [])
                default: unlinkFile(journal)
                }

                let second = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let report = try await second.openingReport()
                #expect(report.rebuiltFromDirectory)
                #expect(report.entries == 2)
                let a = try #require(try await second.read("a"))
                #expect(a.metadata == "a2")
                #expect(a.body == bytes(3000, seed: 3))
                let b = try #require(try await second.read("b"))
                #expect(b.metadata == "b2")
                #expect(b.body == bytes(2000, seed: 2))
                #expect(try await second.size() == 2 + 3000 + 2 + 2000)
                // The rebuilt journal is trusted by the next store.
                let third = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                #expect(try await third.openingReport().rebuiltFromDirectory == false)
                #expect(try await third.size() == 2 + 3000 + 2 + 2000)
            }
        }
    }

    @Test("Torn and stray files are ignored and deleted; the newest whole entry is served")
    func tornFiles() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let first = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await first.put("a", metadata: "whole", body: bytes(4000))
                let metadataName = try #require(directoryListing(directory).first { $0.hasSuffix(".m") })
                let metadata = readFile(directory.appending(path: metadataName))
                // Newer generations: a metadata file cut short by a crash (its body complete),
                // a whole metadata file whose body is shorter than it says, and a body with no
                // metadata; and a file that is not the store's.
                writeFile(directory.appending(path: "a.900.m"), Array(metadata.dropLast(1)))
                writeFile(directory.appending(path: "a.900.b"), bytes(4000))
                let liar = MetadataRecord(bodyGeneration: 901, bodySize: 4000, metadata: Array("liar".utf8))
                writeFile(directory.appending(path: "a.901.m"), liar.encoded())
                writeFile(directory.appending(path: "a.901.b"), bytes(3999))
                writeFile(directory.appending(path: "a.950.b"), bytes(10))
                writeFile(directory.appending(path: "notes.txt"), [1])
                unlinkFile(directory.appending(path: "journal"))

                let second = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                let report = try await second.openingReport()
                #expect(report.rebuiltFromDirectory)
                #expect(report.entries == 1)
                let entry = try #require(try await second.read("a"))
                #expect(entry.metadata == "whole")
                #expect(entry.body == bytes(4000))
                #expect(report.discardedFiles == 5)
                #expect(directoryListing(directory) == ["journal", "notes.txt", metadataName, bodyName(metadataName)])
            }
        }
    }

    private func bodyName(_ metadataName: String) -> String {
        String(metadataName.dropLast(1)) + "b"
    }

    @Test("An entry whose files were damaged behind the store's back is dropped, not served")
    func damagedEntry() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                // Larger than a resident entry: its every read goes to its files.
                let size = ResidentEntries.maxBodySize + 1
                let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                try await store.put("a", metadata: "m", body: bytes(size))
                let bodyName = try #require(directoryListing(directory).first { $0.hasSuffix(".b") })
                writeFile(directory.appending(path: bodyName), bytes(size - 1))
                #expect(try await store.snapshot(for: "a") == nil)
                #expect(try await store.size() == 0)
                let reopened = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                #expect(try await reopened.snapshot(for: "a") == nil)
            }
        }
    }

    @Test("A journal that grows redundant is rewritten, and replays to the same entries and order")
    func compaction() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                let store = try DiskCacheStore(
                    directory: directory, maxSize: 3000, compactionThreshold: 20, pool: .shared)
                for key in ["a", "b", "c"] { try await store.put(key, metadata: key, body: bytes(999)) }
                for round in 0..<40 { _ = try await store.read(["c", "a", "b"][round % 3]) }
                _ = try await store.read("c")  // a is now the least recently used
                try await store.remove("b")
                try await store.put("b", metadata: "b", body: bytes(999))
                let lines = readFile(directory.appending(path: "journal")).split(separator: UInt8(ascii: "\n"))
                #expect(lines.count < 20)

                let reopened = try DiskCacheStore(directory: directory, maxSize: 3000)
                #expect(try await reopened.openingReport().entries == 3)
                try await reopened.put("d", metadata: "d", body: bytes(999))
                #expect(try await reopened.snapshot(for: "a") == nil)
                #expect(try await reopened.read("c") != nil)
                #expect(try await reopened.read("b") != nil)
            }
        }
    }
}
