package import CourierCore

/// Encodes the header blocks (RFC 7541 §3) that one side sends on one connection.
///
/// Role-neutral: the client encodes requests with it and the test server responses. Its dynamic
/// table mirrors the peer decoder's, so blocks must be sent in the order they were encoded.
///
/// Strategy, close to nghttp2's: a field in a table is sent as its index; credentials are sent
/// as never-indexed literals (RFC 7541 §7.1.3), so that no intermediary stores them and no later
/// block can probe them; values that rarely repeat, and fields larger than 3/4 of the table, are
/// literals that do not enter the table (they would only evict entries that do repeat); all
/// other fields are added. Strings are Huffman-coded when that is shorter. Names are lowercased,
/// as HTTP/2 requires (RFC 9113 §8.2.1). Unlike nghttp2, which indexes a cookie of 20 octets or
/// more, every `cookie` is never-indexed: a repeated cookie costs its full length each time.
package struct HPACKEncoder: Sendable {
    package enum Role: Sendable {
        /// Encodes requests.
        case client
        /// Encodes responses: `set-cookie` is then never indexed too.
        case server
    }

    private let role: Role
    private let useHuffman: Bool
    /// The most table space this side spends, whatever the peer allows.
    private let tableSizeLimit: Int
    /// The peer's SETTINGS_HEADER_TABLE_SIZE as last applied.
    private var peerMaxTableSize: Int
    private var table: HPACKDynamicTable
    /// Size updates owed at the start of the next block (RFC 7541 §4.2): the smallest capacity
    /// since the last block, then the current one.
    private var pendingSizeUpdate: (smallest: Int, current: Int)?
    /// The dynamic table's values and ids by name, oldest first, so that one lookup of the name
    /// finds both an entry with the same value and the newest with the same name. Ids only grow,
    /// so evicted (stale) entries are a prefix of each list; the lists are rebuilt from the table
    /// when stale entries pile up.
    private var entriesByName: [String: [(value: String, id: Int)]] = [:]
    /// Entries in `entriesByName`, stale ones included.
    private var lookupCount = 0
    /// The octets of the fields of the blocks before, by position, for those whose encoding
    /// left the table as it was. A client sends the same fields in the same order on every
    /// request, and a field that is the same at the same position, with the table as it was
    /// when the field was encoded, encodes to the same octets: indices move only when an entry is
    /// inserted or evicted, and eviction follows an insertion or a size change (which forgets
    /// these). So a repeated request's fields cost a comparison each, not two table lookups.
    private var previous: [PreviousField?] = []

    /// A class, so that looking one up retains one object rather than its two strings and octets.
    private final class PreviousField: Sendable {
        let name: String
        let value: String
        /// The table's `insertedCount` and `count` when the field was encoded: with no size
        /// change since, the same pair means the same table.
        let table: (insertedCount: Int, count: Int)
        let octets: [UInt8]

        init(name: String, value: String, table: (insertedCount: Int, count: Int), octets: [UInt8]) {
            self.name = name
            self.value = value
            self.table = table
            self.octets = octets
        }
    }

    /// Fields encoded to more octets than this are not remembered.
    private static let maxRememberedOctets = 256

    /// - Parameters:
    ///   - maxTableSize: the table size both sides start with and the most this encoder uses:
    ///     4096 on an HTTP/2 connection (RFC 9113 §6.5.2). RFC 7541's examples start at 256.
    ///   - useHuffman: false sends every string as it is (RFC 7541 Appendix C.3 and C.5).
    package init(role: Role, maxTableSize: Int = 4096, useHuffman: Bool = true) {
        self.role = role
        self.useHuffman = useHuffman
        self.tableSizeLimit = maxTableSize
        self.peerMaxTableSize = maxTableSize
        self.table = HPACKDynamicTable(capacity: maxTableSize)
    }

    /// The dynamic table as the blocks so far have left it.
    package var dynamicTable: HPACKDynamicTable { table }

    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE. The next block begins with a size update;
    /// every change is answered with one, so that a peer whose limit went down always sees its
    /// new limit respected, even when this encoder's own smaller limit did not change.
    package mutating func setPeerMaxTableSize(_ size: Int) {
        guard size != peerMaxTableSize else { return }
        peerMaxTableSize = size
        let capacity = min(size, tableSizeLimit)
        table.setCapacity(capacity)
        pendingSizeUpdate = (min(pendingSizeUpdate?.smallest ?? capacity, capacity), capacity)
        previous.removeAll()
    }

    /// Appends the block for `headers` to `buffer`, fields in order.
    package mutating func encode(_ headers: HTTPHeaders, into buffer: inout [UInt8]) {
        if let pending = pendingSizeUpdate {
            if pending.smallest < pending.current {
                HPACKInteger.encode(pending.smallest, prefixBits: 5, flags: 0x20, into: &buffer)
            }
            HPACKInteger.encode(pending.current, prefixBits: 5, flags: 0x20, into: &buffer)
            pendingSizeUpdate = nil
        }
        for (position, field) in headers.fields.enumerated() {
            let name = HPACKEncoder.lowercased(field.name)
            let tableNow = (insertedCount: table.insertedCount, count: table.count)
            if position < previous.count, let known = previous[position], known.table == tableNow,
                known.name.hasSameOctets(as: name), known.value.hasSameOctets(as: field.value)
            {
                buffer.append(contentsOf: known.octets)
                continue
            }
            let start = buffer.count
            let indexing = encode(name: name, value: field.value, into: &buffer)
            // Credentials are not kept in a second place, and a field that changed the table
            // would encode differently next time.
            let remembered: PreviousField? =
                indexing != .never && table.insertedCount == tableNow.insertedCount && table.count == tableNow.count
                    && buffer.count - start <= HPACKEncoder.maxRememberedOctets
                ? PreviousField(name: name, value: field.value, table: tableNow, octets: Array(buffer[start...]))
                : nil
            if position < previous.count {
                previous[position] = remembered
            } else {
                previous.append(remembered)
            }
        }
    }

    /// How a field is sent when it is not in a table already.
    private enum Indexing {
        /// Added to the dynamic table (RFC 7541 §6.2.1).
        case incremental
        /// Not added (§6.2.2).
        case none
        /// Not added, and no intermediary may add it (§6.2.3).
        case never
    }

    /// Every name with a rule of its own is in the static table, so the rules are told apart by
    /// static index rather than by comparing strings.
    private func indexing(of field: HPACKField, staticIndex: Int?) -> Indexing {
        switch staticIndex {
        case 23, 32, 49:  // authorization, cookie, proxy-authorization
            return .never
        case 55:  // set-cookie
            return role == .server ? .never : .none
        case 4, 21, 28, 34, 40, 41:  // :path, age, content-length, etag, if-modified-since, if-none-match
            return .none
        default:
            return field.size <= table.capacity * 3 / 4 ? .incremental : .none
        }
    }

    /// Appends one field's representation; returns the field's indexing rule, found in a table or not.
    private mutating func encode(name: String, value: String, into buffer: inout [UInt8]) -> Indexing {
        let field = HPACKField(name: name, value: value)
        let staticIndex = HPACKStaticTable.index(ofName: name)
        let indexing = indexing(of: field, staticIndex: staticIndex)
        if indexing != .never, let staticIndex,
            let index = HPACKStaticTable.index(ofValue: value, nameIndex: staticIndex)
        {
            HPACKInteger.encode(index, prefixBits: 7, flags: 0x80, into: &buffer)
            return indexing
        }
        let dynamic = dynamicIndices(name: name, value: value)
        if indexing != .never, let index = dynamic.field {
            HPACKInteger.encode(index, prefixBits: 7, flags: 0x80, into: &buffer)
            return indexing
        }
        let nameIndex = staticIndex ?? dynamic.name
        switch indexing {
        case .incremental: HPACKInteger.encode(nameIndex ?? 0, prefixBits: 6, flags: 0x40, into: &buffer)
        case .none: HPACKInteger.encode(nameIndex ?? 0, prefixBits: 4, flags: 0x00, into: &buffer)
        case .never: HPACKInteger.encode(nameIndex ?? 0, prefixBits: 4, flags: 0x10, into: &buffer)
        }
        if nameIndex == nil { appendString(name, into: &buffer) }
        appendString(value, into: &buffer)
        if case .incremental = indexing { insert(field) }
        return indexing
    }

    /// The indices of the newest dynamic table entry with this name and value, and of the
    /// newest with this name.
    private func dynamicIndices(name: String, value: String) -> (field: Int?, name: Int?) {
        guard let entries = entriesByName[name] else { return (nil, nil) }
        var nameIndex: Int?
        for entry in entries.reversed() {
            guard let index = table.index(ofID: entry.id) else { break }
            nameIndex = nameIndex ?? HPACKStaticTable.count + index
            if entry.value.hasSameOctets(as: value) { return (HPACKStaticTable.count + index, nameIndex) }
        }
        return (nil, nameIndex)
    }

    private mutating func insert(_ field: HPACKField) {
        table.insert(field)
        entriesByName[field.name, default: []].append((field.value, table.insertedCount - 1))
        lookupCount += 1
        guard lookupCount > 2 * table.count + 32 else { return }
        entriesByName.removeAll(keepingCapacity: true)
        for index in stride(from: table.count, through: 1, by: -1) {
            let entry = table[index]
            entriesByName[entry.name, default: []].append((entry.value, table.id(at: index)))
        }
        lookupCount = table.count
    }

    /// A string literal (RFC 7541 §5.2), Huffman-coded when that is shorter.
    private func appendString(_ string: String, into buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { bytes in
            if useHuffman {
                let count = HPACKHuffman.encodedCount(bytes)
                if count < bytes.count {
                    HPACKInteger.encode(count, prefixBits: 7, flags: 0x80, into: &buffer)
                    HPACKHuffman.encode(bytes, into: &buffer)
                    return
                }
            }
            HPACKInteger.encode(bytes.count, prefixBits: 7, flags: 0x00, into: &buffer)
            buffer.append(contentsOf: bytes)
        }
    }

    /// `name` with ASCII letters in lowercase (a valid name is ASCII; others pass through for the
    /// message layer to refuse); the same string, without a copy, when it has no uppercase letter.
    private static func lowercased(_ name: String) -> String {
        guard name.utf8.contains(where: isUppercase) else { return name }
        return String(decoding: name.utf8.map { isUppercase($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    private static func isUppercase(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
}
