import CCourierBrotli
import CourierCore

/// Brotli (RFC 7932), through the system's libbrotlidec. Bytes after the end of the compressed
/// data are an error, never silently dropped.
final class BrotliDecompressor: Decompressor {
    private let state: OpaquePointer
    private var ended = false
    /// The encoded chunk being decoded and how much of it brotli has taken.
    private var input = ByteBuffer()
    private var consumed = 0
    /// Brotli said it has more output for the input it already took.
    private var outputPending = false

    init() {
        state = BrotliDecoderCreateInstance(nil, nil, nil)
    }

    deinit {
        BrotliDecoderDestroyInstance(state)
    }

    func feed(_ chunk: ByteBuffer) {
        precondition(consumed == input.count, "fed before the previous chunk was used up")
        input = chunk
        consumed = 0
    }

    func next() throws -> ByteBuffer? {
        while true {
            if ended {
                guard consumed == input.count else { throw trailing(input.count - consumed) }
                return nil
            }
            if consumed == input.count && !outputPending { return nil }
            var result = BROTLI_DECODER_RESULT_ERROR
            let output = input.withUnsafeBytes { bytes in
                var nextIn: UnsafePointer<UInt8>? = bytes.baseAddress.map {
                    $0.assumingMemoryBound(to: UInt8.self) + consumed
                }
                var availableIn = bytes.count - consumed
                let output = [UInt8](unsafeUninitializedCapacity: ContentCoding.outputChunkSize) { buffer, count in
                    var nextOut = buffer.baseAddress
                    var availableOut = buffer.count
                    result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                    count = buffer.count - availableOut
                }
                consumed = bytes.count - availableIn
                return output
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
