import CourierCore
import Testing

@testable import CourierHTTP2

/// The examples of RFC 7541 Appendix C, byte for byte: each block decodes to its fields and
/// leaves the dynamic table as the RFC shows it, and encoding the fields gives the same block
/// wherever our encoder's choices are the RFC's.
@Suite("HPACK: RFC 7541 Appendix C examples")
struct HPACKExampleTests {
    struct Block {
        let wire: String
        let headers: HTTPHeaders
        /// The dynamic table after the block, newest first.
        let table: [[String]]
        let tableSize: Int
    }

    // C.2: single representations, each with a fresh context.
    @Test("C.2.1 literal with indexing")
    func literalWithIndexing() throws {
        var decoder = HPACKDecoder()
        let headers = try decoder.decode(bytes(hex: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))
        #expect(headers == ["custom-key": "custom-header"])
        #expect(decoder.dynamicTable.entries == [["custom-key", "custom-header"]])
        #expect(decoder.dynamicTable.size == 55)
    }

    @Test("C.2.2 literal without indexing")
    func literalWithoutIndexing() throws {
        var decoder = HPACKDecoder()
        #expect(try decoder.decode(bytes(hex: "040c 2f73 616d 706c 652f 7061 7468")) == [":path": "/sample/path"])
        #expect(decoder.dynamicTable.count == 0)
    }

    @Test("C.2.3 literal never indexed")
    func literalNeverIndexed() throws {
        var decoder = HPACKDecoder()
        let wire = bytes(hex: "1008 7061 7373 776f 7264 0673 6563 7265 74")
        #expect(try decoder.decode(wire) == ["password": "secret"])
        #expect(decoder.dynamicTable.count == 0)
    }

    @Test("C.2.4 indexed field")
    func indexedField() throws {
        var decoder = HPACKDecoder()
        #expect(try decoder.decode([0x82]) == [":method": "GET"])
        var encoder = HPACKEncoder(role: .client)
        #expect(encoder.encode([":method": "GET"]) == [0x82])
    }

    static let requests: [HTTPHeaders] = [
        [":method": "GET", ":scheme": "http", ":path": "/", ":authority": "www.example.com"],
        [
            ":method": "GET", ":scheme": "http", ":path": "/", ":authority": "www.example.com",
            "cache-control": "no-cache",
        ],
        [
            ":method": "GET", ":scheme": "https", ":path": "/index.html", ":authority": "www.example.com",
            "custom-key": "custom-value",
        ],
    ]

    static let requestTables: [([[String]], Int)] = [
        ([[":authority", "www.example.com"]], 57),
        ([["cache-control", "no-cache"], [":authority", "www.example.com"]], 110),
        ([["custom-key", "custom-value"], ["cache-control", "no-cache"], [":authority", "www.example.com"]], 164),
    ]

    static let responses: [HTTPHeaders] = [
        [
            ":status": "302", "cache-control": "private", "date": "Mon, 21 Oct 2013 20:13:21 GMT",
            "location": "https://www.example.com",
        ],
        [
            ":status": "307", "cache-control": "private", "date": "Mon, 21 Oct 2013 20:13:21 GMT",
            "location": "https://www.example.com",
        ],
        HTTPHeaders([
            (":status", "200"), ("cache-control", "private"), ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", "https://www.example.com"), ("content-encoding", "gzip"),
            ("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
        ]),
    ]

    static let responseTables: [([[String]], Int)] = [
        (
            [
                ["location", "https://www.example.com"], ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
                ["cache-control", "private"], [":status", "302"],
            ], 222
        ),
        (
            [
                [":status", "307"], ["location", "https://www.example.com"],
                ["date", "Mon, 21 Oct 2013 20:13:21 GMT"], ["cache-control", "private"],
            ], 222
        ),
        (
            [
                ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
                ["content-encoding", "gzip"], ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
            ], 215
        ),
    ]

    @Test("C.3 requests without Huffman coding")
    func requestsPlain() throws {
        try run(
            wires: [
                "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
                "8286 84be 5808 6e6f 2d63 6163 6865",
                "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            ], headers: Self.requests, tables: Self.requestTables, tableSize: 4096, huffman: false, role: .client)
    }

    @Test("C.4 requests with Huffman coding")
    func requestsHuffman() throws {
        try run(
            wires: [
                "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
                "8286 84be 5886 a8eb 1064 9cbf",
                "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            ], headers: Self.requests, tables: Self.requestTables, tableSize: 4096, huffman: true, role: .client)
    }

    @Test("C.5 responses without Huffman coding, 256-octet table")
    func responsesPlain() throws {
        try run(
            wires: [
                """
                4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
                2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
                6c65 2e63 6f6d
                """,
                "4803 3330 37c1 c0bf",
                """
                88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
                54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
                5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
                3d31
                """,
            ], headers: Self.responses, tables: Self.responseTables, tableSize: 256, huffman: false, role: .client)
    }

    @Test("C.6 responses with Huffman coding, 256-octet table")
    func responsesHuffman() throws {
        try run(
            wires: [
                """
                4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
                2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3
                """,
                "4883 640e ffc1 c0bf",
                """
                88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
                77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
                9587 3160 65c0 03ed 4ee5 b106 3d50 07
                """,
            ], headers: Self.responses, tables: Self.responseTables, tableSize: 256, huffman: true, role: .client,
            // "307" is 3 octets either way; we Huffman-code only when that is shorter.
            ours: [1: "4803 3330 37c1 c0bf"])
    }

    /// Decodes each block with one context and checks fields and table; encodes each header
    /// list with one context and expects the RFC's block, except for `set-cookie`, which the RFC
    /// adds to the table and our encoder sends as a literal without indexing (see `HPACKEncoder`),
    /// and for the blocks in `ours`.
    private func run(
        wires: [String], headers: [HTTPHeaders], tables: [([[String]], Int)], tableSize: Int, huffman: Bool,
        role: HPACKEncoder.Role, ours: [Int: String] = [:]
    ) throws {
        var decoder = HPACKDecoder(maxTableSize: tableSize)
        var encoder = HPACKEncoder(role: role, maxTableSize: tableSize, useHuffman: huffman)
        var roundTrip = HPACKDecoder(maxTableSize: tableSize)
        for (index, wire) in wires.enumerated() {
            var block = bytes(hex: wire)
            #expect(try decoder.decode(block) == headers[index], "block \(index + 1)")
            #expect(decoder.dynamicTable.entries == tables[index].0, "table after block \(index + 1)")
            #expect(decoder.dynamicTable.size == tables[index].1, "table size after block \(index + 1)")

            let encoded = encoder.encode(headers[index])
            if let ours = ours[index] { block = bytes(hex: ours) }
            #expect(try roundTrip.decode(encoded) == headers[index], "our block \(index + 1) decodes")
            if headers[index].contains("set-cookie") {
                // The RFC's `77` (literal with incremental indexing, name 55) becomes `0f 28`
                // (literal without indexing, name 55); every other byte is the same.
                let representation = try #require(block.lastIndex(of: 0x77))
                let expected = block[..<representation] + [0x0F, 0x28] + block[(representation + 1)...]
                #expect(encoded == Array(expected), "our block \(index + 1)")
            } else {
                #expect(encoded == block, "our block \(index + 1)")
                #expect(encoder.dynamicTable.entries == tables[index].0, "our table after block \(index + 1)")
            }
        }
    }
}
