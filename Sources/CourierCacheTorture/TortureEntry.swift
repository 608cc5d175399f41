import CourierTestServer

/// An entry whose body follows from its metadata, so a reader can check it is whole:
/// `seed=<seed> size=<size> revision=<n>`, and a body of `size` bytes drawn from `seed`.
///
/// The crash-safety test reads the same file (linked into Tests/CourierCacheTests/Support): a
/// test target cannot import an executable's code without linking all of it.
struct TortureEntry: Equatable {
    static let maxSize = 1 << 20

    var seed: UInt64
    var size: Int
    var revision: Int

    var metadata: [UInt8] { Array("seed=\(seed) size=\(size) revision=\(revision)".utf8) }

    /// Eight bytes per draw, so that a debug build makes 150 KB in about a millisecond.
    var body: [UInt8] {
        var random = SplitMix64(seed: seed)
        let words = (0..<(size + 7) / 8).map { _ in random.next().littleEndian }
        return words.withUnsafeBytes { Array($0.prefix(size)) }
    }
}

extension TortureEntry {
    init?(metadata: [UInt8]) {
        let fields = String(decoding: metadata, as: UTF8.self).split(separator: " ")
        guard fields.count == 3, fields[0].hasPrefix("seed="), fields[1].hasPrefix("size="),
            fields[2].hasPrefix("revision="), let seed = UInt64(fields[0].dropFirst(5)),
            let size = Int(fields[1].dropFirst(5)), let revision = Int(fields[2].dropFirst(9))
        else { return nil }
        self.init(seed: seed, size: size, revision: revision)
    }
}
