import CourierCore
import Testing

@testable import CourierTransport

/// Feeds bytes to a decoder in pieces of `step` and returns the body and whether it ended.
func decode(_ text: String, framing: HTTP1Framing, step: Int = .max) throws -> (body: String, ended: Bool) {
    let bytes = Array(text.utf8)
    var buffer = ReceiveBuffer()
    var decoder = HTTP1BodyDecoder(framing: framing)
    var body: [UInt8] = []
    var offset = 0
    var ended = false
    repeat {
        let piece = bytes[offset..<min(bytes.count, offset + step)]
        offset += piece.count
        buffer.append(piece)
        loop: while true {
            switch try decoder.next(&buffer) {
            case .data(let chunk): body += chunk
            case .needMore: break loop
            case .end:
                ended = true
                break loop
            }
        }
    } while offset < bytes.count && !ended
    return (String(decoding: body, as: UTF8.self), ended)
}

@Suite("HTTP/1.1 body framing")
struct HTTP1BodyDecoderTests {
    @Test("Chunked bodies with extensions and trailers decode the same at any split", arguments: [1, 2, 3, 7, 1000])
    func chunked(step: Int) throws {
        let wire =
            "5;name=value;quoted=\"a \\\"b\\\"\"\r\nhello\r\n7\r\n, world\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n"
        let (body, ended) = try decode(wire, framing: .chunked, step: step)
        #expect(body == "hello, world")
        #expect(ended)
    }

    @Test("Content-Length bodies stop at the length", arguments: [1, 4, 100])
    func contentLength(step: Int) throws {
        let (body, ended) = try decode("abcdefghij", framing: .contentLength(10), step: step)
        #expect(body == "abcdefghij")
        #expect(ended)
    }

    @Test(
        "Malformed chunk framing is invalidChunk",
        arguments: [
            "g\r\n", "5 \r\nhello\r\n", "5\nhello\r\n", "5;\r\nhello\r\n", "5;a=\r\nhello\r\n", "5\r\nhelloXY",
            "5;a=\"unterminated\r\n",
            // A quoted-pair escapes only HTAB, SP, VCHAR or obs-text: not a CR, not a NUL.
            "1;a=\"\\\r\"\r\nx\r\n0\r\n\r\n", "1;a=\"\\\u{0}\"\r\nx\r\n0\r\n\r\n",
        ])
    func badChunks(wire: String) {
        let error = #expect(throws: HTTPClientError.self) { try decode(wire, framing: .chunked) }
        #expect(error?.kind == .protocolViolation(.invalidChunk))
    }

    @Test("End of stream before the end is truncatedBody; for close-delimited bodies it is the end")
    func endOfStream() throws {
        var truncated = HTTP1BodyDecoder(framing: .contentLength(10))
        #expect(throws: HTTPClientError.self) { try truncated.endOfStream() }
        var chunked = HTTP1BodyDecoder(framing: .chunked)
        #expect(throws: HTTPClientError.self) { try chunked.endOfStream() }
        var untilClose = HTTP1BodyDecoder(framing: .untilClose)
        try untilClose.endOfStream()
        #expect(untilClose.isComplete)
    }

    @Test(
        "A truncated chunked body says where it was cut",
        arguments: [
            ("5\r\nhel", "2 bytes before the end of a chunk"),
            ("5\r\nhello\r\n", "before the last chunk"),
            ("5\r\nhello\r\n0\r\n", "after the last chunk of the body but before the end of its trailer section"),
            (
                "5\r\nhello\r\n0\r\nX: y\r\n",
                "after the last chunk of the body but before the end of its trailer section"
            ),
        ]
    )
    func chunkedTruncation(wire: String, place: String) throws {
        var decoder = HTTP1BodyDecoder(framing: .chunked)
        var buffer = ReceiveBuffer()
        buffer.append(Array(wire.utf8))
        while case .data = try decoder.next(&buffer) {}
        let error = #expect(throws: HTTPClientError.self) { try decoder.endOfStream() }
        #expect(error?.kind == .protocolViolation(.truncatedBody))
        #expect(error?.message.contains(place) == true, "\(error?.message ?? "")")
    }

    @Test("Oversized trailers are headersTooLarge")
    func trailerLimit() {
        let trailers = String(repeating: "X: \(String(repeating: "a", count: 100))\r\n", count: 3000)
        let error = #expect(throws: HTTPClientError.self) { try decode("0\r\n" + trailers + "\r\n", framing: .chunked) }
        #expect(error?.kind == .protocolViolation(.headersTooLarge))
    }
}
