import CourierCore
import CourierTransport

/// `HTTP1BodyDecoder` under every framing: Content-Length, chunked, close-delimited and none.
///
/// Input: a control byte (bits 0–1: framing; bit 2: tight limits; bit 3: a 64-byte first read
/// instead of 16 KiB, so the receive buffer grows and moves its unread bytes), two bytes of
/// Content-Length (bit 4 of the control byte: a length near `Int.max` instead), a segmentation
/// byte, then the bytes that follow the head on the wire.
///
/// Invariants: beyond those every run checks (`BodyDecodeRun`), the outcome and the data do not
/// depend on how the stream was cut; a Content-Length body yields exactly the declared bytes,
/// straight from the stream, or is reported truncated; a close-delimited body yields the whole
/// stream; a chunked body never yields more than its framing consumed.
enum BodyDecoderTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let declaredLength = control & 0x10 == 0 ? input.uint16() : Int.max - input.uint16()
        let cuts = input.byte()
        let framing: HTTP1Framing
        switch control & 3 {
        case 0: framing = .contentLength(declaredLength)
        case 1: framing = .chunked
        case 2: framing = .untilClose
        default: framing = .none
        }
        let limits =
            control & 4 == 0
            ? HTTP1Limits()
            : HTTP1Limits(maxHeadBytes: 64, maxStartLineBytes: 64, maxHeaderCount: 4, maxChunkLineBytes: 8)
        let readSize = control & 8 == 0 ? 16 << 10 : 64
        let stream = input.rest()

        let whole = BodyDecodeRun(
            stream, framing: framing, limits: limits, pieces: stream.isEmpty ? [] : [stream.count],
            initialReadSize: readSize)
        var segmentation = Segmentation(control: cuts, length: stream.count)
        let split = BodyDecodeRun(
            stream, framing: framing, limits: limits, pieces: segmentation.pieces(of: stream.count),
            initialReadSize: readSize)
        require(
            whole == split,
            "decoding depends on how the stream was cut: whole \(whole.outcome) with \(whole.data.count) bytes, "
                + "in pieces \(split.outcome) with \(split.data.count) bytes")
        checkFraming(framing, whole, stream)
    }

    /// What each framing promises about the data and the outcome.
    private static func checkFraming(_ framing: HTTP1Framing, _ run: BodyDecodeRun, _ stream: UnsafeRawBufferPointer) {
        switch framing {
        case .none, .contentLength(0):
            require(run.data.isEmpty && run.outcome == .ended(consumed: 0), "an empty body yielded \(run.outcome)")
        case .contentLength(let length):
            require(
                run.data.count <= stream.count
                    && sameBytes(run.data, UnsafeRawBufferPointer(rebasing: stream.prefix(run.data.count))),
                "Content-Length data is not the stream")
            switch run.outcome {
            case .ended(let consumed):
                require(
                    run.data.count == length && consumed == length,
                    "a Content-Length \(length) body ended after \(run.data.count) bytes")
            case .truncated:
                require(
                    run.data.count < length && run.data.count == stream.count,
                    "a truncated Content-Length \(length) body yielded \(run.data.count) of \(stream.count) bytes")
            case .closed, .rejected:
                require(false, "a Content-Length body cannot be \(run.outcome)")
            }
        case .untilClose:
            require(
                run.outcome == .closed && sameBytes(run.data, stream),
                "a close-delimited body of \(stream.count) bytes gave \(run.outcome) with \(run.data.count) bytes")
        case .chunked:
            switch run.outcome {
            case .ended(let consumed):
                // At least "0\r\n\r\n" of framing besides the data.
                require(
                    consumed <= stream.count && run.data.count + 5 <= consumed,
                    "a chunked body yielded \(run.data.count) bytes from \(consumed)")
            case .closed:
                require(false, "a chunked body accepted a close before its last chunk")
            case .truncated, .rejected:
                break
            }
        }
    }
}
