package import CourierCore

/// Decodes the header blocks (RFC 7541 §3) that one peer sends on one connection.
///
/// Role-neutral: the client decodes responses with it and the test server requests. It holds
/// the dynamic table those blocks build, so blocks must be decoded in the order they were sent.
///
/// Bounded: the decoded list may not exceed ``maxHeaderListSize`` (counted as RFC 9113 §6.5.2
/// does), checked before each field's strings are built, so a small block that references a large
/// entry many times (an "HPACK bomb") fails before memory grows. Strings never exceed that limit
/// either, integers stop at 2^32 - 1, and table size updates at what our SETTINGS allow.
///
/// Any error leaves the table out of step with the peer's encoder: the connection must end with
/// COMPRESSION_ERROR (``HPACKError/errorCode``), and the decoder must not be used again.
package struct HPACKDecoder: Sendable {
    /// The default header list limit, the same as the HTTP/1.1 head limit.
    package static let defaultMaxHeaderListSize = 256 * 1024

    /// The largest decoded header list, in RFC 9113 §6.5.2 octets (name + value + 32 per field).
    package let maxHeaderListSize: Int
    private var table: HPACKDynamicTable
    /// The largest table size a size update may set: our SETTINGS_HEADER_TABLE_SIZE, once the
    /// peer has acknowledged it.
    private var maxTableSize: Int
    /// Set when our SETTINGS lowered the maximum below the table's capacity: the next block must
    /// begin with an update to at most this (the smallest such value, RFC 7541 §4.2).
    private var requiredSizeUpdate: Int?
    /// Where Huffman-coded strings are decoded before they become `String`s. Grows to the longest
    /// string seen, never past the header list limit.
    private var scratch: [UInt8] = []
    /// Short literals decoded lately, which servers repeat on every response.
    private var recentLiterals = HPACKLiteralCache()

    /// - Parameter maxTableSize: SETTINGS_HEADER_TABLE_SIZE at the start, which is also the table
    ///   size both sides start with: 4096 on an HTTP/2 connection (RFC 9113 §6.5.2).
    package init(maxTableSize: Int = 4096, maxHeaderListSize: Int = defaultMaxHeaderListSize) {
        self.table = HPACKDynamicTable(capacity: maxTableSize)
        self.maxTableSize = maxTableSize
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// The dynamic table as the blocks so far have left it.
    package var dynamicTable: HPACKDynamicTable { table }

    /// Applies a SETTINGS_HEADER_TABLE_SIZE of ours that the peer has acknowledged.
    package mutating func setMaxTableSize(_ size: Int) {
        maxTableSize = size
        if size < table.capacity {
            requiredSizeUpdate = min(requiredSizeUpdate ?? size, size)
        }
    }

    /// Decodes one complete header block (the fragments of a HEADERS or PUSH_PROMISE frame and
    /// its CONTINUATION frames, joined) into its fields, in order.
    package mutating func decode(_ block: UnsafeRawBufferPointer) throws(HPACKError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(16)
        var offset = 0
        var listSize = 0
        var atStart = true
        while offset < block.count {
            let representation = Representation(block[offset])
            switch representation {
            case .sizeUpdate:
                guard atStart else { throw .sizeUpdateNotAtStart }
                let size = try HPACKInteger.decode(block, at: &offset, prefixBits: 5)
                guard size <= maxTableSize else { throw .sizeUpdateTooLarge(size: size, limit: maxTableSize) }
                if let required = requiredSizeUpdate {
                    guard size <= required else { throw .sizeUpdateMissing(required: required) }
                    requiredSizeUpdate = nil
                }
                table.setCapacity(size)
                continue
            case .indexed:
                try checkNoSizeUpdateOwed()
                let field = try entry(at: HPACKInteger.decode(block, at: &offset, prefixBits: 7))
                guard field.size <= maxHeaderListSize - listSize else {
                    throw .headerListTooLarge(limit: maxHeaderListSize)
                }
                listSize += field.size
                headers.add(field.name, field.value)
            case .literalIndexed, .literalNotIndexed, .literalNeverIndexed:
                try checkNoSizeUpdateOwed()
                let field = try literal(block, at: &offset, prefixBits: representation.prefixBits, listSize: listSize)
                listSize += field.size
                if case .literalIndexed = representation { table.insert(field) }
                headers.add(field.name, field.value)
            }
            atStart = false
        }
        try checkNoSizeUpdateOwed()
        return headers
    }

    /// The kinds of representation (RFC 7541 §6), told apart by the high bits of the first byte.
    private enum Representation {
        /// `1xxxxxxx`: a field from a table (§6.1).
        case indexed
        /// `01xxxxxx`: a literal added to the dynamic table (§6.2.1).
        case literalIndexed
        /// `001xxxxx`: a dynamic table size update (§6.3).
        case sizeUpdate
        /// `0001xxxx`: a literal no intermediary may index (§6.2.3).
        case literalNeverIndexed
        /// `0000xxxx`: a literal not added to the table (§6.2.2).
        case literalNotIndexed

        init(_ byte: UInt8) {
            switch byte.leadingZeroBitCount {
            case 0: self = .indexed
            case 1: self = .literalIndexed
            case 2: self = .sizeUpdate
            case 3: self = .literalNeverIndexed
            default: self = .literalNotIndexed
            }
        }

        /// The bits of the first byte that hold the index (or the size).
        var prefixBits: Int {
            switch self {
            case .indexed: 7
            case .literalIndexed: 6
            case .sizeUpdate: 5
            case .literalNeverIndexed, .literalNotIndexed: 4
            }
        }
    }

    private func checkNoSizeUpdateOwed() throws(HPACKError) {
        if let required = requiredSizeUpdate { throw .sizeUpdateMissing(required: required) }
    }

    /// The field at an index into the static table and then the dynamic table (RFC 7541 §2.3.3).
    private func entry(at index: Int) throws(HPACKError) -> HPACKField {
        if index >= 1 && index <= HPACKStaticTable.count { return HPACKStaticTable[index] }
        let dynamicIndex = index - HPACKStaticTable.count
        guard index >= 1, dynamicIndex <= table.count else {
            throw .indexOutOfRange(index: index, tableCount: HPACKStaticTable.count + table.count)
        }
        return table[dynamicIndex]
    }

    /// A literal field (RFC 7541 §6.2): a name index or a name string, then the value string,
    /// each checked against what is left of the header list limit before it is built.
    private mutating func literal(
        _ block: UnsafeRawBufferPointer, at offset: inout Int, prefixBits: Int, listSize: Int
    ) throws(HPACKError) -> HPACKField {
        let room = maxHeaderListSize - listSize - HPACKField.overhead
        guard room >= 0 else { throw .headerListTooLarge(limit: maxHeaderListSize) }
        let nameIndex = try HPACKInteger.decode(block, at: &offset, prefixBits: prefixBits)
        let name: String
        let nameOctets: Int
        if nameIndex == 0 {
            (name, nameOctets) = try string(block, at: &offset, limit: room)
        } else {
            let field = try entry(at: nameIndex)
            (name, nameOctets) = (field.name, field.nameOctets)
            guard nameOctets <= room else { throw .headerListTooLarge(limit: maxHeaderListSize) }
        }
        let (value, valueOctets) = try string(block, at: &offset, limit: room - nameOctets)
        return HPACKField(name: name, value: value, nameOctets: nameOctets, valueOctets: valueOctets)
    }

    /// A string literal (RFC 7541 §5.2) and its length in octets after Huffman decoding. Fails
    /// with `headerListTooLarge` if it is longer than `limit`.
    private mutating func string(
        _ block: UnsafeRawBufferPointer, at offset: inout Int, limit: Int
    ) throws(HPACKError) -> (String, Int) {
        guard offset < block.count else { throw .truncated }
        let huffman = block[offset] & 0x80 != 0
        let length = try HPACKInteger.decode(block, at: &offset, prefixBits: 7)
        guard length <= maxHeaderListSize else { throw .stringTooLong(length: length, limit: maxHeaderListSize) }
        guard length <= block.count - offset else { throw .truncated }
        let encoded = UnsafeRawBufferPointer(rebasing: block[offset..<offset + length])
        offset += length
        if let (string, octets) = recentLiterals.lookUp(encoded, huffman: huffman) {
            guard octets <= limit else { throw .headerListTooLarge(limit: maxHeaderListSize) }
            return (string, octets)
        }
        guard huffman else {
            guard length <= limit else { throw .headerListTooLarge(limit: maxHeaderListSize) }
            let string = String(decoding: encoded, as: UTF8.self)
            recentLiterals.keep(encoded, huffman: false, value: string, octets: length)
            return (string, length)
        }
        // Every code is at least 5 bits long, so 8 / 5 of the encoded length bounds the decoded.
        let capacity = min(length * 8 / 5, limit)
        if scratch.count < capacity {
            scratch = [UInt8](repeating: 0, count: max(capacity, min(scratch.count * 2, maxHeaderListSize)))
        }
        let decoded = try scratch.withUnsafeMutableBufferPointer { output throws(HPACKError) -> (String, Int)? in
            let output = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(output)[0..<capacity])
            guard let count = try HPACKHuffmanDecoder.decode(encoded, into: output) else { return nil }
            return (String(decoding: output[0..<count], as: UTF8.self), count)
        }
        guard let decoded else { throw .headerListTooLarge(limit: maxHeaderListSize) }
        recentLiterals.keep(encoded, huffman: true, value: decoded.0, octets: decoded.1)
        return decoded
    }
}
