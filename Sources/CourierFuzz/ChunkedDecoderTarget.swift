import CourierCore
import CourierTransport

/// `HTTP1BodyDecoder` on chunked bodies built from a recipe (`ChunkedBody`): many chunks, small
/// and over the receive buffer's 2 KiB lending threshold, chunk extensions, trailers, and a tail
/// of arbitrary bytes after the last chunk (the next response on the connection).
///
/// Input: a control byte (bit 0: corrupt one byte of the encoding; bit 1: a 64-byte first read),
/// a segmentation byte, two bytes placing the corruption, then the recipe.
///
/// Invariants: an intact body decodes to exactly its chunk data, ends exactly where the last
/// chunk's trailer section ends and leaves the tail unread, and a body cut short before its last
/// chunk is reported truncated after yielding every complete chunk; whatever the bytes, the
/// result does not depend on how they were cut into reads.
enum ChunkedDecoderTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let cuts = input.byte()
        let corruption = input.uint16()
        var body = ChunkedBody(recipe: &input)
        let corrupt = control & 1 != 0 && !body.encoded.isEmpty
        if corrupt {
            body.encoded[corruption % body.encoded.count] ^= UInt8(truncatingIfNeeded: corruption >> 8) | 1
        }
        let readSize = control & 2 == 0 ? 16 << 10 : 64

        body.encoded.withUnsafeBytes { stream in
            let whole = BodyDecodeRun(
                stream, framing: .chunked, limits: HTTP1Limits(), pieces: stream.isEmpty ? [] : [stream.count],
                initialReadSize: readSize)
            var segmentation = Segmentation(control: cuts, length: stream.count)
            let split = BodyDecodeRun(
                stream, framing: .chunked, limits: HTTP1Limits(), pieces: segmentation.pieces(of: stream.count),
                initialReadSize: readSize)
            require(
                whole == split,
                "decoding depends on how the stream was cut: whole \(whole.outcome) with \(whole.data.count) bytes, "
                    + "in pieces \(split.outcome) with \(split.data.count) bytes")
            guard !corrupt else { return }
            if let end = body.end {
                require(
                    whole.outcome == .ended(consumed: end),
                    "a well-formed body of \(end) bytes (then a tail) gave \(whole.outcome): \(escaped(stream))")
            } else {
                require(
                    whole.outcome == .truncated,
                    "a body without its last chunk gave \(whole.outcome): \(escaped(stream))")
            }
            require(
                sameBytes(whole.data, body.payload),
                "a well-formed body yielded \(whole.data.count) bytes for \(body.payload.count): \(escaped(stream))")
        }
    }
}
