import CourierCore
import Testing

@testable import CourierHTTP2

@Suite("HPACK: encoder choices")
struct HPACKEncoderTests {
    @Test("Names are lowercased")
    func lowercase() throws {
        var encoder = HPACKEncoder(role: .client)
        var decoder = HPACKDecoder()
        let block = encoder.encode(["Content-Type": "text/html", "X-Custom": "A"])
        let decoded = try decoder.decode(block)
        #expect(decoded.fields.map(\.name) == ["content-type", "x-custom"])
        #expect(decoded.fields.map(\.value) == ["text/html", "A"])
    }

    @Test("Credentials are never indexed, set-cookie too when serving", arguments: [HPACKEncoder.Role.client, .server])
    func neverIndexed(role: HPACKEncoder.Role) throws {
        for name in ["authorization", "Proxy-Authorization", "cookie", "set-cookie"] {
            var encoder = HPACKEncoder(role: role)
            var decoder = HPACKDecoder()
            let headers: HTTPHeaders = [name: "secret-value"]
            for _ in 0..<2 {
                let block = encoder.encode(headers)
                let expectedPrefix: UInt8 = name == "set-cookie" && role == .client ? 0x00 : 0x10
                #expect(block[0] & 0xF0 == expectedPrefix, "\(name) as \(role)")
                #expect(try decoder.decode(block).fields.map(\.value) == ["secret-value"])
            }
            #expect(encoder.dynamicTable.count == 0, "\(name) stays out of the table")
        }
    }

    @Test("A repeated field is sent as an index, a large one is not added")
    func indexing() throws {
        var encoder = HPACKEncoder(role: .client)
        #expect(encoder.encode(["x-a": "1"]).count > 1)
        #expect(encoder.encode(["x-a": "1"]) == [0xBE])
        let large = String(repeating: "v", count: 3100)  // over 3/4 of 4096 with its name and 32
        _ = encoder.encode(["x-large": large])
        #expect(encoder.dynamicTable.entries == [["x-a", "1"]])
    }

    @Test("A request repeated field by field encodes alike, and decodes right while the table changes under it")
    func repeatedRequests() throws {
        var encoder = HPACKEncoder(role: .client)
        var decoder = HPACKDecoder()
        func request(_ custom: String) -> HTTPHeaders {
            [":method": "GET", ":path": "/a", "user-agent": "courier", "x-custom": custom]
        }
        func roundTrip(_ headers: HTTPHeaders) throws -> [UInt8] {
            let block = encoder.encode(headers)
            #expect(try decoder.decode(block) == headers)
            return block
        }
        _ = try roundTrip(request("1"))
        let second = try roundTrip(request("1"))
        #expect(try roundTrip(request("1")) == second, "the table did not change: the same octets")
        // A new entry moves every dynamic index by one: the fields before it must not be replayed.
        _ = try roundTrip(request("2"))
        _ = try roundTrip(request("1"))
        // A smaller table evicts: the next block starts with the size update and indexes afresh.
        encoder.setPeerMaxTableSize(64)
        decoder.setMaxTableSize(64)
        _ = try roundTrip(request("1"))
        _ = try roundTrip(request("3"))
        _ = try roundTrip(request("1"))
    }

    /// `String`'s `==` equates them; the wire must carry the octets the caller set.
    @Test("A value canonically equivalent to an earlier one is sent as its own octets", arguments: [":path", "x-v"])
    func canonicallyEquivalentValues(name: String) throws {
        var encoder = HPACKEncoder(role: .client)
        var decoder = HPACKDecoder()
        for value in ["/a;b", "/a\u{37E}b", "/e\u{301}", "/\u{E9}"] {
            let decoded = try decoder.decode(encoder.encode(HTTPHeaders([(name, value)])))
            #expect(decoded[name].map { Array($0.utf8) } == Array(value.utf8))
        }
    }

    @Test("A SETTINGS change is signalled at the start of the next block, smallest first")
    func sizeUpdates() throws {
        var encoder = HPACKEncoder(role: .client)
        var decoder = HPACKDecoder()
        _ = try decoder.decode(encoder.encode(["x-a": "1", "x-b": "2"]))

        encoder.setPeerMaxTableSize(0)
        decoder.setMaxTableSize(0)
        encoder.setPeerMaxTableSize(4096)
        decoder.setMaxTableSize(4096)
        #expect(encoder.dynamicTable.count == 0)
        let block = encoder.encode(["x-a": "1"])
        #expect(Array(block.prefix(4)) == [0x20, 0x3F, 0xE1, 0x1F])
        #expect(try decoder.decode(block) == ["x-a": "1"])
        #expect(decoder.dynamicTable.entries == [["x-a", "1"]])
        // Owed once only.
        #expect(encoder.encode(["x-a": "1"]) == [0xBE])

        // A lower limit on the peer's side is signalled even when ours is lower already.
        var small = HPACKEncoder(role: .client, maxTableSize: 256)
        small.setPeerMaxTableSize(1024)
        #expect(small.encode([":method": "GET"]) == [0x3F, 0xE1, 0x01, 0x82])
    }

    @Test("Eviction keeps encoder and decoder tables equal")
    func eviction() throws {
        var encoder = HPACKEncoder(role: .server, maxTableSize: 200)
        var decoder = HPACKDecoder(maxTableSize: 200)
        for round in 0..<300 {
            let headers: HTTPHeaders = [":status": "200", "x-round": "\(round % 7)", "x-value-\(round % 11)": "v"]
            #expect(try decoder.decode(encoder.encode(headers)) == headers)
            #expect(decoder.dynamicTable.entries == encoder.dynamicTable.entries)
            #expect(decoder.dynamicTable.size == encoder.dynamicTable.size)
            #expect(encoder.dynamicTable.size <= 200)
        }
    }
}
