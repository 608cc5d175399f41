import CCourierZlib
import CourierCore

/// gzip (RFC 1952) and deflate. "deflate" is the zlib format (RFC 1950) by the standard, but some
/// servers send raw deflate (RFC 1951); a zlib header that does not parse switches to raw.
///
/// Bytes after the end of the compressed data are an error, never silently dropped: they mean
/// the body is not what the encoding says. The one exception is what RFC 1952 §2.2 allows, a
/// gzip body of several members one after another, which decodes to their concatenation (as
/// browsers, Go and zlib's own `gunzip` decode it).
final class ZlibDecompressor: Decompressor {
    enum Format {
        case gzip
        case deflate
    }

    private let format: Format
    /// Heap-allocated: zlib's state points back at its `z_stream`, which therefore must not move.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var ended = false
    private var producedAny = false
    private var triedRaw = false
    private var input = EncodedInput()
    /// The last call filled its output: zlib may hold more output even with no input left.
    private var outputPending = false

    init(format: Format) {
        self.format = format
        stream.initialize(to: z_stream())
        // 15-bit window; +16 selects the gzip wrapper.
        _ = courier_inflateInit2(stream, format == .gzip ? 15 + 16 : 15)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    private var name: String { format == .gzip ? "gzip" : "deflate" }

    func feed(_ chunk: ByteBuffer) {
        input.feed(chunk)
    }

    func next() throws -> ByteBuffer? {
        while true {
            if ended {
                guard input.remaining > 0 else { return nil }
                try startNextMember(trailing: input.remaining)
            } else if input.remaining == 0 && !outputPending {
                return nil
            }
            let (status, output) = inflateOnce()
            outputPending = output.count == ContentCoding.outputChunkSize
            switch status {
            case Z_STREAM_END:
                ended = true
            case Z_OK:
                break
            case Z_BUF_ERROR where output.isEmpty:
                return nil
            case Z_DATA_ERROR where format == .deflate && !producedAny && !triedRaw:
                try switchToRawDeflate()
                continue
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw ContentCoding.corrupt(name, message)
            }
            if !output.isEmpty {
                producedAny = true
                return ByteBuffer(output)
            }
        }
    }

    /// One `inflate` call over the rest of the chunk into at most one output chunk.
    private func inflateOnce() -> (Int32, [UInt8]) {
        input.withUnconsumedBytes { bytes, count in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes)
            stream.pointee.avail_in = uInt(count)
            var status: Int32 = Z_OK
            let output = [UInt8](unsafeUninitializedCapacity: ContentCoding.outputChunkSize) { buffer, written in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                status = inflate(stream, Z_NO_FLUSH)
                written = buffer.count - Int(stream.pointee.avail_out)
            }
            return (count - Int(stream.pointee.avail_in), (status, output))
        }
    }

    /// After the end of the compressed data, more input: the next member of a gzip body, or an
    /// error. A member that is not gzip fails in zlib's header check.
    private func startNextMember(trailing count: Int) throws {
        guard format == .gzip else {
            throw ContentCoding.corrupt(name, "\(count) bytes follow the end of the compressed data")
        }
        inflateReset(stream)
        ended = false
    }

    /// Restarts as raw deflate from the first byte, which is still in the current chunk unless
    /// the first chunk was shorter than a zlib header.
    private func switchToRawDeflate() throws {
        triedRaw = true
        guard input.rewind(by: Int(stream.pointee.total_in)) else {
            throw ContentCoding.corrupt(name, "neither zlib nor raw deflate")
        }
        inflateEnd(stream)
        stream.initialize(to: z_stream())
        _ = courier_inflateInit2(stream, -15)
    }

    func finish() throws(HTTPClientError) {
        guard ended else { throw ContentCoding.corrupt(name, "the compressed stream ends early") }
    }
}
