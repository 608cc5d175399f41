import Testing

@testable import CourierCache

@Suite("Disk cache journal and metadata file formats")
struct JournalRecordTests {
    private let entry = CacheIndex.Entry(metadataGeneration: 7, bodyGeneration: 5, metadataSize: 120, bodySize: 9000)

    @Test("Records round-trip through a journal")
    func roundTrip() {
        let records: [JournalRecord] = [.clean(key: "a_1-z", entry: entry), .read(key: "a_1-z"), .remove(key: "b")]
        let journal = JournalRecord.journal(records)
        #expect(
            String(decoding: journal, as: UTF8.self)
                == "courier-cache-journal 1\nCLEAN a_1-z 7 5 120 9000\nREAD a_1-z\nREMOVE b\n")
        #expect(JournalRecord.parse(journal: journal) == records)
        #expect(JournalRecord.parse(journal: JournalRecord.journal([])) == [])
    }

    @Test(
        "A journal with any malformed or unfinished line is not trusted",
        arguments: [
            "CLEAN a 7 5 120 9000",  // cut short: no newline
            "CLEAN a 7 5 120\n", "CLEAN a 7 5 120 9000 1\n", "CLEAN a 7 5 -1 9000\n", "CLEAN a 7 5 +1 9000\n",
            "CLEAN a 7 5 1 9999999999999999999\n", "READ\n", "READ A\n", "READ a b\n", "DIRTY a\n", "\n",
            "REMOVE ../x\n", "CLEAN  a 7 5 120 9000\n",
        ])
    func malformed(line: String) {
        let journal = JournalRecord.journal([.read(key: "ok")]) + Array(line.utf8)
        #expect(JournalRecord.parse(journal: journal) == nil)
    }

    @Test("A journal with another header is not trusted")
    func header() {
        #expect(JournalRecord.parse(journal: Array("courier-cache-journal 2\nREAD a\n".utf8)) == nil)
        #expect(JournalRecord.parse(journal: []) == nil)
    }

    @Test("A metadata file round-trips, and any cut or changed byte makes it invalid")
    func metadataFile() {
        let record = MetadataRecord(bodyGeneration: 42, bodySize: 123_456, metadata: Array("HTTP/1.1 200 OK".utf8))
        let bytes = record.encoded()
        #expect(bytes.count == MetadataRecord.headerSize + 15)
        #expect(MetadataRecord(decoding: bytes) == record)
        for length in 0..<bytes.count {
            #expect(MetadataRecord(decoding: Array(bytes.prefix(length))) == nil)
        }
        #expect(MetadataRecord(decoding: bytes + [0]) == nil)
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x20
            #expect(MetadataRecord(decoding: changed) == nil)
        }
        let empty = MetadataRecord(bodyGeneration: 1, bodySize: 0, metadata: [])
        #expect(MetadataRecord(decoding: empty.encoded()) == empty)
    }

    @Test("CRC-32 matches the standard check value")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("6789".utf8), continuing: CRC32.checksum(Array("12345".utf8))) == 0xCBF4_3926)
    }

    @Test("Entry file names parse back, and nothing else parses")
    func fileNames() {
        let name = EntryFileName.body("k-1", 99)
        #expect(name.name == "k-1.99.b")
        #expect(EntryFileName(parsing: "k-1.99.b") == name)
        #expect(EntryFileName(parsing: "k.3.m") == .metadata("k", 3))
        for other in [
            "journal", "journal.tmp", "k.3", "k.3.x", "K.3.m", "k.-3.m", "k.+3.m", "k..m", ".3.m", "k.3.m.tmp",
        ] {
            #expect(EntryFileName(parsing: other) == nil)
        }
    }
}
