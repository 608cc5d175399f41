import CCourierBrotli
import CourierCore

/// Brotli (RFC 7932), through the system's libbrotlidec. Bytes after the end of the compressed
/// data are an error, never silently dropped.
final class BrotliDecompressor: Decompressor {
    private let state: OpaquePointer
    private var ended = false

    init() {
        state = BrotliDecoderCreateInstance(nil, nil, nil)
    }

    deinit {
        BrotliDecoderDestroyInstance(state)
    }

    func decompress(_ input: ByteBuffer, emit: (ByteBuffer) throws -> Void) throws {
        guard !input.isEmpty else { return }
        if ended { throw trailing(input.count) }
        try input.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws in
            var nextIn: UnsafePointer<UInt8>? = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var availableIn = bytes.count
            while true {
                var result = BROTLI_DECODER_RESULT_ERROR
                let output = [UInt8](unsafeUninitializedCapacity: ContentCoding.outputChunkSize) { buffer, count in
                    var nextOut = buffer.baseAddress
                    var availableOut = buffer.count
                    result = BrotliDecoderDecompressStream(state, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                    count = buffer.count - availableOut
                }
                if !output.isEmpty { try emit(ByteBuffer(output)) }
                switch result {
                case BROTLI_DECODER_RESULT_SUCCESS:
                    ended = true
                    if availableIn > 0 { throw trailing(availableIn) }
                    return
                case BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT:
                    continue
                case BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT:
                    return
                default:
                    let reason = String(cString: BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state)))
                    throw ContentCoding.corrupt("br", reason)
                }
            }
        }
    }

    func finish() throws(HTTPClientError) {
        guard ended else { throw ContentCoding.corrupt("br", "the compressed stream ends early") }
    }

    private func trailing(_ count: Int) -> HTTPClientError {
        ContentCoding.corrupt("br", "\(count) bytes follow the end of the compressed data")
    }
}
