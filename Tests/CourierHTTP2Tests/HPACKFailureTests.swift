import CourierCore
import Testing

@testable import CourierHTTP2

/// Every way a header block can be bad, each with its precise error, and the HPACK bomb.
@Suite("HPACK: malformed blocks and limits")
struct HPACKFailureTests {
    @Test("A block that ends inside a representation is truncated")
    func truncated() {
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0xFF]) == .truncated)  // an index whose continuation is missing
        decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x82, 0x41]) == .truncated)  // a literal without its value
        decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x40, 0x05, 0x61]) == .truncated)  // a name of 5 octets, 1 present
    }

    @Test("Integers above 2^32 - 1, or with a redundant sixth continuation byte, overflow")
    func integerOverflow() {
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) == .integerOverflow)
        decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0xFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]) == .integerOverflow)
        // 2^32 - 1 itself decodes (and is then an index out of range).
        decoder = HPACKDecoder()
        #expect(
            decoder.error(decoding: [0xFF, 0x80, 0xFF, 0xFF, 0xFF, 0x0F])
                == .indexOutOfRange(index: 4_294_967_295, tableCount: 61))
    }

    @Test("A string longer than the header list limit is refused before it is read")
    func stringTooLong() {
        var decoder = HPACKDecoder(maxHeaderListSize: 100)
        #expect(decoder.error(decoding: [0x40, 0x7F, 0x26]) == .stringTooLong(length: 165, limit: 100))
    }

    @Test("Index 0 and indices past the dynamic table are out of range")
    func indexOutOfRange() throws {
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x80]) == .indexOutOfRange(index: 0, tableCount: 61))
        decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0xBE]) == .indexOutOfRange(index: 62, tableCount: 61))
        decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x7F, 0x00, 0x01, 0x61]) == .indexOutOfRange(index: 63, tableCount: 61))
        // After one insertion, 62 is valid and 63 is not.
        decoder = HPACKDecoder()
        _ = try decoder.decode([0x41, 0x01, 0x61, 0xBE])
        #expect(decoder.error(decoding: [0xBF]) == .indexOutOfRange(index: 63, tableCount: 62))
    }

    @Test("A Huffman string containing EOS is refused")
    func huffmanEOS() {
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x40, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]) == .huffmanEOS)
    }

    @Test("Huffman padding of zeros, or of more than 7 bits, is refused")
    func huffmanPadding() {
        var decoder = HPACKDecoder()
        // "a" (00011) padded with 000.
        #expect(decoder.error(decoding: [0x40, 0x81, 0x18, 0x00]) == .invalidHuffmanPadding)
        decoder = HPACKDecoder()
        // "a" padded with 111, then a whole octet of ones: 11 bits of padding.
        #expect(decoder.error(decoding: [0x40, 0x82, 0x1F, 0xFF, 0x00]) == .invalidHuffmanPadding)
        decoder = HPACKDecoder()
        // The same "a" with 7 bits of padding decodes.
        #expect(decoder.error(decoding: [0x40, 0x81, 0x1F, 0x00]) == nil)
    }

    @Test("A size update above what SETTINGS allow is refused")
    func sizeUpdateTooLarge() {
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x3F, 0xE2, 0x1F]) == .sizeUpdateTooLarge(size: 4097, limit: 4096))
    }

    @Test("A size update after a field is refused")
    func sizeUpdateNotAtStart() {
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: [0x82, 0x20]) == .sizeUpdateNotAtStart)
    }

    @Test("After SETTINGS lowered the table size, the next block must begin with an update to at most it")
    func sizeUpdateMissing() throws {
        var decoder = HPACKDecoder()
        decoder.setMaxTableSize(1024)
        #expect(decoder.error(decoding: [0x82]) == .sizeUpdateMissing(required: 1024))

        // Lowered and raised again: the smallest must come first, then up to the new maximum.
        decoder = HPACKDecoder()
        decoder.setMaxTableSize(1024)
        decoder.setMaxTableSize(4096)
        #expect(decoder.error(decoding: [0x3F, 0xE1, 0x1F, 0x82]) == .sizeUpdateMissing(required: 1024))
        decoder = HPACKDecoder()
        decoder.setMaxTableSize(1024)
        decoder.setMaxTableSize(4096)
        #expect(try decoder.decode([0x3F, 0xE1, 0x07, 0x3F, 0xE1, 0x1F, 0x82]) == [":method": "GET"])
        #expect(decoder.dynamicTable.capacity == 4096)
        // Only the block after the change owes an update.
        #expect(try decoder.decode([0x82]) == [":method": "GET"])
    }

    @Test("A list over the limit fails, counted as name + value + 32 per field")
    func headerListTooLarge() throws {
        // ":method: GET" counts 7 + 3 + 32 = 42.
        var decoder = HPACKDecoder(maxHeaderListSize: 84)
        #expect(try decoder.decode([0x82, 0x82]).count == 2)
        #expect(decoder.error(decoding: [0x82, 0x82, 0x82]) == .headerListTooLarge(limit: 84))
        // A literal whose value would cross the limit fails before the value is built.
        decoder = HPACKDecoder(maxHeaderListSize: 84)
        #expect(
            decoder.error(decoding: [0x82, 0x01, 0x0A] + Array("0123456789".utf8)) == .headerListTooLarge(limit: 84))
        // Huffman-coded too: 8 encoded octets of "0" decode to 12 octets, 2 more than the room.
        decoder = HPACKDecoder(maxHeaderListSize: 84)
        var huffman: [UInt8] = []
        Array("000000000000".utf8).withUnsafeBufferPointer { HPACKHuffman.encode($0, into: &huffman) }
        #expect(
            decoder.error(decoding: [0x82, 0x01, 0x80 | UInt8(huffman.count)] + huffman)
                == .headerListTooLarge(limit: 84))
    }

    /// A 4 KB entry referenced 20,000 times: a 24 KB block that would decode to 80 MB. The
    /// limit stops it at the 66th reference, before the list holds more than 256 KiB.
    @Test("An HPACK bomb is stopped by the header list limit")
    func bomb() {
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: 4000)
        var block: [UInt8] = [0x40, 0x01, UInt8(ascii: "b")]
        HPACKInteger.encode(value.count, prefixBits: 7, flags: 0, into: &block)
        block += value
        block += [UInt8](repeating: 0xBE, count: 20_000)
        var decoder = HPACKDecoder()
        #expect(decoder.error(decoding: block) == .headerListTooLarge(limit: 256 * 1024))
    }

    @Test("Every error is COMPRESSION_ERROR and becomes a precise HTTPClientError")
    func errorMapping() {
        let errors: [HPACKError] = [
            .truncated, .integerOverflow, .stringTooLong(length: 2, limit: 1),
            .indexOutOfRange(index: 0, tableCount: 61),
            .huffmanEOS, .invalidHuffmanPadding, .sizeUpdateTooLarge(size: 2, limit: 1), .sizeUpdateNotAtStart,
            .sizeUpdateMissing(required: 0), .headerListTooLarge(limit: 1),
        ]
        for error in errors {
            #expect(error.errorCode == 0x9)
            let expected: HTTPClientError.ProtocolViolation =
                error == .headerListTooLarge(limit: 1) ? .headersTooLarge : .headerCompression
            #expect(error.clientError.kind == .protocolViolation(expected))
            #expect(error.clientError.message.contains(error.description))
        }
    }
}
