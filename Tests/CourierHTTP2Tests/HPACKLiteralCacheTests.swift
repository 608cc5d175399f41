import CourierCore
import Testing

@testable import CourierHTTP2

/// The decoder's memory of recent literals: a hit is exactly what decoding would build, and is
/// held to the header list limit like any string.
@Suite("HPACK: repeated literals")
struct HPACKLiteralCacheTests {
    /// A literal field not added to the table, with a literal name: `0000 0000`, name, value.
    private func literal(_ name: String, _ value: [UInt8], huffman: Bool = false) -> [UInt8] {
        [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [(huffman ? 0x80 : 0) | UInt8(value.count)] + value
    }

    @Test("A repeated literal decodes as it did the first time; one octet apart is another string")
    func repeatedLiteral() throws {
        var decoder = HPACKDecoder()
        let first = try decoder.decode(literal("server", Array("courier/1".utf8)))
        let again = try decoder.decode(literal("server", Array("courier/1".utf8)))
        let other = try decoder.decode(literal("server", Array("courier/2".utf8)))
        #expect(first["server"] == "courier/1")
        #expect(again["server"] == "courier/1")
        #expect(other["server"] == "courier/2")
    }

    @Test("The same octets Huffman-coded are decoded, not taken for the plain string")
    func huffmanFlagIsPartOfTheKey() throws {
        var plain: [UInt8] = []
        Array("date-value".utf8).withUnsafeBufferPointer { HPACKHuffman.encode($0, into: &plain) }
        var decoder = HPACKDecoder()
        // The coded octets, first read as a plain string, then as the Huffman code they are.
        let raw = try decoder.decode(literal("x", plain))
        let coded = try decoder.decode(literal("x", plain, huffman: true))
        #expect(raw["x"] == String(decoding: plain, as: UTF8.self))
        #expect(coded["x"] == "date-value")
    }

    @Test("A remembered literal still counts against the header list limit")
    func hitRespectsTheLimit() throws {
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 30)
        var decoder = HPACKDecoder(maxHeaderListSize: 100)
        // 1 + 30 + 32 = 63 octets: fits alone.
        #expect(try decoder.decode(literal("n", value))["n"] != nil)
        // After a field of 1 + 17 + 32 = 50 octets, the same literal (63 more) does not.
        let block = literal("m", Array(repeating: UInt8(ascii: "w"), count: 17)) + literal("n", value)
        #expect(decoder.error(decoding: block) == .headerListTooLarge(limit: 100))
    }
}
