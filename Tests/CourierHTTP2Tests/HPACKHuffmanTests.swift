import Testing

@testable import CourierHTTP2

@Suite("HPACK: Huffman code")
struct HPACKHuffmanTests {
    /// A few codes as RFC 7541 Appendix B lists them, the derived table checked against the RFC.
    @Test("The derived codes are the RFC's")
    func codes() {
        let expected: [(Int, UInt32, UInt8)] = [
            (0, 0x1ff8, 13), (10, 0x3fff_fffc, 30), (32, 0x14, 6), (48, 0x0, 5), (97, 0x3, 5), (127, 0xfff_fffc, 28),
            (128, 0xfffe6, 20), (255, 0x3ff_ffee, 26), (256, 0x3fff_ffff, 30),
        ]
        for (symbol, code, length) in expected {
            #expect(HPACKHuffman.codes[symbol] == code, "code of \(symbol)")
            #expect(HPACKHuffman.lengths[symbol] == length, "length of \(symbol)")
        }
    }

    @Test("Every octet, alone and in a run, decodes to itself")
    func roundTrip() throws {
        for byte in 0...255 {
            for count in [1, 2, 3, 7, 8] {
                let input = [UInt8](repeating: UInt8(byte), count: count)
                #expect(try decode(encode(input)) == input, "\(count) × \(byte)")
            }
        }
        let all = (0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init)
        #expect(try decode(encode(all)) == all)
        #expect(try decode([]) == [])
    }

    @Test("encodedCount is the encoded length")
    func encodedCount() {
        let text = Array("custom-value".utf8)
        let count = text.withUnsafeBufferPointer { HPACKHuffman.encodedCount($0) }
        #expect(count == encode(text).count)
        #expect(count == 9)  // RFC 7541 C.4.3: 89 25a8 49e9 5bb8 e8b4 bf
    }

    @Test("A decoded string that does not fit the output is reported, not truncated")
    func outputFull() throws {
        let encoded = encode(Array("www.example.com".utf8))
        let result = try encoded.withUnsafeBytes { input in
            try [UInt8](repeating: 0, count: 14).withUnsafeBytes { output in
                try HPACKHuffmanDecoder.decode(input, into: UnsafeMutableRawBufferPointer(mutating: output))
            }
        }
        #expect(result == nil)
    }

    private func encode(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        bytes.withUnsafeBufferPointer { HPACKHuffman.encode($0, into: &output) }
        return output
    }

    private func decode(_ bytes: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: bytes.count * 8 / 5)
        let count = try bytes.withUnsafeBytes { input in
            try output.withUnsafeMutableBytes { try HPACKHuffmanDecoder.decode(input, into: $0) }
        }
        return Array(output[0..<(count ?? -1)])
    }
}
