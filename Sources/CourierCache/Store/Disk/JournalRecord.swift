/// One line of the journal, the store's log of what it holds and in which order it was used.
///
/// ```
/// courier-cache-journal 1
/// CLEAN <key> <metadata generation> <body generation> <metadata size> <body size>
/// READ <key>
/// REMOVE <key>
/// ```
///
/// A `CLEAN` record publishes an entry (its files are complete before the record is written);
/// `READ` moves it to the most recently used end; `REMOVE` drops it. Replaying the lines in
/// order gives the index and its LRU order. Any line that does not parse, including a last line
/// cut short by a crash, makes the whole journal untrusted: the index is rebuilt from the
/// directory instead.
enum JournalRecord: Equatable, Sendable {
    case clean(key: String, entry: CacheIndex.Entry)
    case read(key: String)
    case remove(key: String)

    static let header = "courier-cache-journal 1\n"

    var line: String {
        switch self {
        case .clean(let key, let entry):
            "CLEAN \(key) \(entry.metadataGeneration) \(entry.bodyGeneration) \(entry.metadataSize) \(entry.bodySize)\n"
        case .read(let key): "READ \(key)\n"
        case .remove(let key): "REMOVE \(key)\n"
        }
    }

    /// The bytes of a whole journal holding `records`.
    static func journal(_ records: [JournalRecord]) -> [UInt8] {
        Array((header + records.map(\.line).joined()).utf8)
    }

    /// The records of a journal file, or nil if any part of it is malformed or cut short.
    static func parse(journal bytes: [UInt8]) -> [JournalRecord]? {
        guard bytes.starts(with: header.utf8), bytes.last == UInt8(ascii: "\n") else { return nil }
        var records: [JournalRecord] = []
        for line in bytes.dropFirst(header.utf8.count).split(
            separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false
        ).dropLast() {
            guard let record = JournalRecord(line: String(decoding: line, as: UTF8.self)) else { return nil }
            records.append(record)
        }
        return records
    }

    private init?(line: String) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2, StoreKey.isValid(fields[1]) else { return nil }
        let key = fields[1]
        switch (fields[0], fields.count) {
        case ("CLEAN", 6):
            let numbers = fields[2...].compactMap(JournalRecord.number)
            guard numbers.count == 4 else { return nil }
            self = .clean(
                key: key,
                entry: CacheIndex.Entry(
                    metadataGeneration: numbers[0], bodyGeneration: numbers[1], metadataSize: Int(numbers[2]),
                    bodySize: Int(numbers[3])))
        case ("READ", 2): self = .read(key: key)
        case ("REMOVE", 2): self = .remove(key: key)
        default: return nil
        }
    }

    /// A decimal number of at most 18 digits (so it fits an `Int` too), nothing else.
    private static func number(_ field: String) -> UInt64? {
        guard (1...18).contains(field.utf8.count),
            field.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { return nil }
        return UInt64(field)
    }
}
