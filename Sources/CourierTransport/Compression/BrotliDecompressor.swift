import CCourierBrotli
import CourierCore

/// Brotli (RFC 7932), through the system's libbrotlidec. Bytes after the end of the compressed
/// data are an error, never silently dropped.
final class BrotliDecompressor: Decompressor {
    private let state: OpaquePointer
    private var ended = false
    private var input = EncodedInput()
    /// Brotli said it has more output for the input it already took.
    private var outputPending = false

    init() {
        state = BrotliDecoderCreateInstance(nil, nil, nil)
    }

    deinit {
        BrotliDecoderDestroyInstance(state)
    }

    func feed(_ chunk: ByteBuffer) {
        input.feed(chunk)
    }

    func next() throws -> ByteBuffer? {
        while true {
            if ended {
                guard input.remaining == 0 else { throw trailing(input.remaining) }
                return nil
            }
            if input.remaining == 0 && !outputPending { return nil }
            let (result, output) = input.withUnconsumedBytes { bytes, count in
                var nextIn = bytes
                var availableIn = count
                var result = BROTLI_DECODER_RESULT_ERROR
                let output = [UInt8](unsafeUninitializedCapacity: ContentCoding.outputChunkSize) { buffer, written in
                    var nextOut = buffer.baseAddress
                    var availableOut = buffer.count
                    result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                    written = buffer.count - availableOut
                }
                return (count - availableIn, (result, output))
            }
            switch result {
            case BROTLI_DECODER_RESULT_SUCCESS:
                ended = true
                outputPending = false
            case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                outputPending = true
            case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                outputPending = false
            default:
                let reason = String(cString: BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state)))
                throw ContentCoding.corrupt("br", reason)
            }
            if !output.isEmpty { return ByteBuffer(output) }
        }
    }

    func finish() throws(HTTPClientError) {
        guard ended else { throw ContentCoding.corrupt("br", "the compressed stream ends early") }
    }

    private func trailing(_ count: Int) -> HTTPClientError {
        ContentCoding.corrupt("br", "\(count) bytes follow the end of the compressed data")
    }
}
