/// A chunked body (RFC 9112 §7.1) written from a recipe in the fuzzer's bytes, with what a
/// correct decoder must make of it.
///
/// Random bytes rarely form a valid chunked body past the first size line, so mutating raw bytes
/// explores little beyond the error paths. Reading the input as a recipe instead (chunk sizes in
/// any case and with leading zeros, extensions with tokens, quoted strings, escapes and optional
/// whitespace, trailers, and the bytes that follow the body) makes every input a well-formed
/// body whose decoded data and length are known exactly.
struct ChunkedBody {
    /// The encoded body followed by the tail.
    var encoded: [UInt8] = []
    /// The chunk data, which the decoder must yield in order and nothing else.
    var payload: [UInt8] = []
    /// Where the body ends in `encoded` (the tail starts there), or nil if the recipe ran out
    /// before the last chunk.
    var end: Int?

    private static let tokenCharacters = Array(
        "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    /// Chunk data that looks like framing, so a decoder that scans data for CRLF shows it.
    private static let filler = Array("0\r\n\r\nHTTP/1.1 200 OK\r\n5;a=\"b\"\r\n\r\n\u{0}\u{FF}".utf8)
    /// `filler` repeated past the largest chunk from any phase, so chunk data is one slice.
    private static let longFiller = Array(repeatElement(filler, count: 4600 / filler.count + 2).joined())

    init(recipe input: inout FuzzInput) {
        while !input.isAtEnd {
            let operation = input.byte()
            if operation & 7 >= 6 {
                appendLastChunk(&input)
                return
            }
            // A quarter of the chunks are large: past the receive buffer's 2 KiB lending threshold
            // and past the 4 KiB chunk-line limit, which a decoder must not apply to data. Past
            // 4 KiB of data chunks stay small: larger bodies reach no new state, only slow the run.
            let large = operation & 0x18 == 0x18 && payload.count < 4096
            let size = large ? 1 + input.uint16() % 4500 : 1 + Int(operation >> 4)
            appendSizeLine(size, &input)
            let phase = Int(operation) % ChunkedBody.filler.count
            let data = ChunkedBody.longFiller[phase..<(phase + size)]
            payload.append(contentsOf: data)
            encoded.append(contentsOf: data)
            encoded.append(contentsOf: "\r\n".utf8)
        }
    }

    /// chunk-size [ chunk-ext ] CRLF, the size in hex with leading zeros and either case.
    private mutating func appendSizeLine(_ size: Int, _ input: inout FuzzInput) {
        let style = input.byte()
        let hex = String(size, radix: 16, uppercase: style & 1 != 0)
        encoded.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: Int(style >> 1) & 3))
        encoded.append(contentsOf: hex.utf8)
        for _ in 0..<(Int(style >> 3) & 3) { appendExtension(&input) }
        encoded.append(contentsOf: "\r\n".utf8)
    }

    /// BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ]
    private mutating func appendExtension(_ input: inout FuzzInput) {
        let style = input.byte()
        appendWhitespace(style & 1)
        encoded.append(UInt8(ascii: ";"))
        appendWhitespace(style & 2)
        appendToken(&input)
        guard style & 4 != 0 else { return }
        appendWhitespace(style & 8)
        encoded.append(UInt8(ascii: "="))
        appendWhitespace(style & 16)
        if style & 32 == 0 {
            appendToken(&input)
            return
        }
        encoded.append(UInt8(ascii: "\""))
        for _ in 0..<(Int(input.byte()) % 16) {
            let byte = input.byte()
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                encoded.append(contentsOf: [UInt8(ascii: "\\"), byte])
            case 0x09, 0x20...0x7E, 0x80...0xFF:
                encoded.append(byte)
            default:
                // quoted-pair may escape any visible character, not only a quote or backslash.
                encoded.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "a") + byte % 26])
            }
        }
        encoded.append(UInt8(ascii: "\""))
    }

    /// last-chunk trailer-section CRLF, then whatever the input holds still: the tail.
    private mutating func appendLastChunk(_ input: inout FuzzInput) {
        let style = input.byte()
        encoded.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 1 + Int(style & 3)))
        for _ in 0..<(Int(style >> 2) & 3) { appendExtension(&input) }
        encoded.append(contentsOf: "\r\n".utf8)
        for _ in 0..<(Int(style >> 4) & 3) {
            appendToken(&input)
            encoded.append(UInt8(ascii: ":"))
            appendWhitespace(style & 64)
            for _ in 0..<(Int(input.byte()) % 24) {
                let byte = input.byte()
                encoded.append(byte == 0x09 || (byte >= 0x20 && byte != 0x7F) ? byte : UInt8(ascii: "v"))
            }
            encoded.append(contentsOf: "\r\n".utf8)
        }
        encoded.append(contentsOf: "\r\n".utf8)
        end = encoded.count
        encoded.append(contentsOf: input.rest())
    }

    private mutating func appendToken(_ input: inout FuzzInput) {
        for _ in 0...(Int(input.byte()) % 12) {
            encoded.append(ChunkedBody.tokenCharacters[Int(input.byte()) % ChunkedBody.tokenCharacters.count])
        }
    }

    private mutating func appendWhitespace(_ flag: UInt8) {
        if flag != 0 { encoded.append(contentsOf: [0x20, 0x09]) }
    }
}
