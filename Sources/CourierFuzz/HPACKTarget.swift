import CourierCore
import CourierHTTP2

/// `HPACKDecoder` on a sequence of header blocks that share one context, and `HPACKEncoder` on
/// what it decodes.
///
/// Input: a control byte (bits 0-1: the decoder's table size, 4096, 256, 0 or 65536; bit 2: a
/// 1 KiB header list limit instead of 256 KiB; bit 3: the encoder without Huffman coding; bit 4:
/// the encoder in the server role), then blocks, each a byte (bit 7: apply SETTINGS with the
/// table size of bits 0-1 first), a big-endian 16-bit length and that many bytes.
///
/// Invariants: a block decodes or fails with an `HPACKError`, and the first failure ends the
/// context, as it ends the connection; a decoded list respects the header list limit (counted on
/// the decoded strings when none was repaired from invalid UTF-8) and the table its capacity
/// and the SETTINGS value; every decoded list, encoded by one encoder context, decodes to itself
/// with names lowercased; the encoder's and the second decoder's tables stay equal.
enum HPACKTarget {
    private static let tableSizes = [4096, 256, 0, 65536]

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let tableSize = tableSizes[Int(control & 3)]
        let listLimit = control & 4 != 0 ? 1024 : HPACKDecoder.defaultMaxHeaderListSize
        var decoder = HPACKDecoder(maxTableSize: tableSize, maxHeaderListSize: listLimit)
        var allowed = tableSize
        var encoder = HPACKEncoder(role: control & 16 != 0 ? .server : .client, useHuffman: control & 8 == 0)
        var roundTrip = HPACKDecoder(maxHeaderListSize: .max)
        var wire: [UInt8] = []
        while !input.isAtEnd {
            let blockControl = input.byte()
            if blockControl & 0x80 != 0 {
                allowed = tableSizes[Int(blockControl & 3)]
                decoder.setMaxTableSize(allowed)
            }
            let block = input.take(input.uint16())
            let headers: HTTPHeaders
            do {
                headers = try decoder.decode(block)
            } catch {
                return
            }
            check(headers, limit: listLimit, block: block)
            let table = decoder.dynamicTable
            require(table.size <= table.capacity, "table size \(table.size) over its capacity \(table.capacity)")
            require(table.capacity <= allowed, "table capacity \(table.capacity) over \(allowed)")

            wire.removeAll(keepingCapacity: true)
            encoder.encode(headers, into: &wire)
            let again: HTTPHeaders
            do {
                again = try wire.withUnsafeBufferPointer { bytes throws(HPACKError) in
                    try roundTrip.decode(UnsafeRawBufferPointer(bytes))
                }
            } catch {
                fatalError("Invariant violated: our block for \(escaped(block)) does not decode: \(error)")
            }
            require(
                again.fields.map(\.name) == headers.fields.map { lowercasedASCII($0.name) }
                    && again.fields.map(\.value) == headers.fields.map(\.value),
                "\(escaped(block)) re-encoded decodes differently")
            require(
                roundTrip.dynamicTable.size == encoder.dynamicTable.size
                    && roundTrip.dynamicTable.count == encoder.dynamicTable.count,
                "the encoder's table and its peer decoder's differ after \(escaped(block))")
        }
    }

    private static func check(_ headers: HTTPHeaders, limit: Int, block: UnsafeRawBufferPointer) {
        require(headers.count * 32 <= limit, "\(headers.count) fields under a limit of \(limit)")
        let repaired = headers.fields.contains { $0.name.contains("\u{FFFD}") || $0.value.contains("\u{FFFD}") }
        guard !repaired else { return }
        let size = headers.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 32 }
        require(size <= limit, "a list of \(size) octets under a limit of \(limit) from \(escaped(block))")
    }

    private static func lowercasedASCII(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
