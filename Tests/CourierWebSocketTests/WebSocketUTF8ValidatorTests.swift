import CourierCore
import Testing

@testable import CourierWebSocket

/// The strict, incremental UTF-8 check of text messages: Markus Kuhn's decoder stress test and
/// Autobahn's case 6 vectors, fed whole, split at every byte and one byte at a time.
@Suite("WebSocket UTF-8 validation")
struct WebSocketUTF8ValidatorTests {
    static let valid: [(String, String)] = [
        ("empty", ""),
        ("κόσμε", "CE BA E1 BD B9 CF 83 CE BC CE B5"),
        ("first 1-byte", "00"), ("first 2-byte", "C2 80"), ("first 3-byte", "E0 A0 80"),
        ("first 4-byte", "F0 90 80 80"),
        ("last 1-byte", "7F"), ("last 2-byte", "DF BF"), ("last 3-byte", "EF BF BF"), ("last 4-byte", "F4 8F BF BF"),
        ("U+D7FF", "ED 9F BF"), ("U+E000", "EE 80 80"), ("U+FFFD", "EF BF BD"), ("U+10000", "F0 90 80 80"),
        ("noncharacter U+FFFE", "EF BF BE"), ("noncharacter U+1FFFF", "F0 9F BF BF"),
        ("mixed", "48 C3 A9 E2 82 AC F0 9F 98 80 21"),
    ]

    /// Invalid sequences and the index of the octet that makes them invalid.
    static let invalid: [(String, String, Int)] = [
        ("lone continuation 80", "80", 0), ("lone continuation BF", "BF", 0), ("two continuations", "80 BF", 0),
        ("5-byte sequence", "F8 88 80 80 80", 0), ("6-byte sequence", "FC 84 80 80 80 80", 0),
        ("FE", "FE", 0), ("FF", "FF", 0),
        ("lonely start then space", "C0 20", 0), ("lonely 3-byte start then space", "E0 20", 1),
        ("2-byte start then ASCII", "C2 41", 1),
        ("overlong / (2)", "C0 AF", 0), ("overlong / (3)", "E0 80 AF", 1), ("overlong / (4)", "F0 80 80 AF", 1),
        ("largest overlong (2)", "C1 BF", 0), ("largest overlong (3)", "E0 9F BF", 1),
        ("largest overlong (4)", "F0 8F BF BF", 1),
        ("U+110000", "F4 90 80 80", 1), ("F5 lead", "F5 80 80 80", 0),
        ("high surrogate D800", "ED A0 80", 1), ("high surrogate DB7F", "ED AD BF", 1),
        ("low surrogate DC00", "ED B0 80", 1), ("low surrogate DFFF", "ED BF BF", 1),
        ("surrogate pair", "ED A0 80 ED B0 80", 1),
        ("κόσμε then a surrogate (Autobahn 6.3)", "CE BA E1 BD B9 CF 83 CE BC CE B5 ED A0 80 65 64 69 74 65 64", 12),
        ("truncated 3-byte then ASCII", "E1 BD 78", 2),
        ("bad byte after a long ASCII run", "41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 FF 41", 18),
    ]

    /// Sequences that are valid so far but end in the middle of a character.
    static let truncated: [(String, String)] = [
        ("2-byte", "C2"), ("3-byte", "E0 A0"), ("4-byte", "F0 90 80"), ("after text", "48 69 F4 8F BF"),
    ]

    @Test("Valid UTF-8 passes whole, split anywhere and byte by byte", arguments: valid)
    func validInput(name: String, hex: String) {
        let bytes = [UInt8](hex: hex)
        for pieces in splits(of: bytes.count) {
            var validator = WebSocketUTF8Validator()
            var offset = 0
            for piece in pieces {
                #expect(validator.validate(ByteBuffer(bytes[offset..<(offset + piece)])) == true, "\(name)")
                offset += piece
            }
            #expect(validator.isComplete, "\(name)")
        }
    }

    @Test("Invalid UTF-8 fails at its first invalid octet, however it is split", arguments: invalid)
    func invalidInput(name: String, hex: String, failingIndex: Int) {
        let bytes = [UInt8](hex: hex)
        var byteByByte = WebSocketUTF8Validator()
        for (index, byte) in bytes.enumerated() {
            #expect(byteByByte.validate(ByteBuffer([byte])) == (index < failingIndex), "\(name) at \(index)")
        }
        #expect(!byteByByte.isComplete)
        for cut in 0...bytes.count {
            var validator = WebSocketUTF8Validator()
            let first = validator.validate(ByteBuffer(bytes[..<cut]))
            #expect(first == (cut <= failingIndex), "\(name) cut at \(cut)")
            #expect(validator.validate(ByteBuffer(bytes[cut...])) == false, "\(name) cut at \(cut)")
        }
    }

    @Test("A sequence cut off at the end passes octet by octet but is not complete", arguments: truncated)
    func truncatedInput(name: String, hex: String) {
        var validator = WebSocketUTF8Validator()
        #expect(validator.validate(ByteBuffer([UInt8](hex: hex))) == true)
        #expect(!validator.isComplete, "\(name)")
    }

    @Test("Once failed, the validator rejects even valid input")
    func staysFailed() {
        var validator = WebSocketUTF8Validator()
        #expect(validator.validate(ByteBuffer([0xFF])) == false)
        #expect(validator.validate(ByteBuffer(string: "fine")) == false)
        #expect(!validator.isComplete)
    }

    @Test("The validator agrees with the standard library on 20,000 random byte strings")
    func agreesWithStandardLibrary() {
        var generator = SeededGenerator(seed: 42)
        // Bytes drawn mostly from the interesting ranges: ASCII, continuations and lead octets.
        let pool: [UInt8] = [
            0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5,
        ]
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...12, using: &generator)
            let bytes = (0..<length).map { _ in pool.randomElement(using: &generator)! }
            var validator = WebSocketUTF8Validator()
            let valid = validator.validate(ByteBuffer(bytes)) && validator.isComplete
            #expect(valid == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}
