/// The name of one of an entry's files: `<key>.<generation>.m` for its metadata and
/// `<key>.<generation>.b` for its body.
///
/// Every edit gets a generation of its own and files are never rewritten, so a name always
/// means the same bytes: a reader holding one never sees it change, and a file that no journal
/// record (or, when rebuilding, no valid metadata file) names is left over from an edit that
/// never committed and is deleted.
struct EntryFileName: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        case metadata
        case body
    }

    let key: String
    let generation: UInt64
    let kind: Kind

    static func metadata(_ key: String, _ generation: UInt64) -> EntryFileName {
        EntryFileName(key: key, generation: generation, kind: .metadata)
    }

    static func body(_ key: String, _ generation: UInt64) -> EntryFileName {
        EntryFileName(key: key, generation: generation, kind: .body)
    }

    var name: String {
        switch kind {
        case .metadata: "\(key).\(generation).m"
        case .body: "\(key).\(generation).b"
        }
    }
}

extension EntryFileName {
    /// The parsed name, or nil for any file that is not one of ours.
    init?(parsing name: String) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, StoreKey.isValid(String(parts[0])),
            parts[1].utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let generation = UInt64(parts[1])
        else { return nil }
        switch parts[2] {
        case "m": kind = .metadata
        case "b": kind = .body
        default: return nil
        }
        key = String(parts[0])
        self.generation = generation
    }
}
