/// The keys the disk store accepts: 1 to 120 of `a-z`, `0-9`, `_` and `-`.
///
/// A key becomes part of file names and of journal lines, so it may hold nothing that a path or
/// a line treats specially (no `/`, `.`, space or newline); the cache passes a hex digest.
enum StoreKey {
    static let maxLength = 120

    static func isValid(_ key: String) -> Bool {
        let utf8 = key.utf8
        guard (1...maxLength).contains(utf8.count) else { return false }
        return utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
