import CourierCore
import CourierTransport

/// The response decompressors (gzip, deflate in zlib or raw form, br) on arbitrary streams fed
/// in pieces, under a cap on decoded bytes like the client's `DecompressionLimit`.
///
/// Input: a control byte (coding), a segmentation byte, then the encoded body.
///
/// Invariants: only `.invalidContentEncoding` errors; no decoded chunk is empty or larger than the
/// 64 KiB the decoders hand out; whether the stream fails or completes does not depend on how the
/// body was cut, the output of one run is a prefix of the other's, and a complete stream decodes
/// to the same bytes however it was cut (all compared up to the cap).
enum DecompressorTarget {
    /// Decoded bytes kept per run: several 64 KiB output chunks, few enough to stay fast. The
    /// client's own limit (`DecompressionLimit`, in the Courier module) is a ratio past 1 MiB.
    private static let cap = 256 << 10
    /// `ContentCoding.outputChunkSize`, which is internal to CourierTransport.
    private static let outputChunkSize = 64 << 10

    private struct Run {
        var output: [UInt8] = []
        var capped = false
        var failed = false
        var finished = false
    }

    /// The run stopped at the cap, as the client would with `.responseTooLarge`.
    private struct Capped: Error {}

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let coding: ContentCoding
        switch input.byte() % 3 {
        case 0: coding = .gzip
        case 1: coding = .deflate
        default: coding = .brotli
        }
        let cuts = input.byte()
        let body = input.rest()
        var segmentation = Segmentation(control: cuts, length: body.count)
        var pieces = segmentation.pieces(of: body.count)
        if coding == .deflate, pieces.count > 1, pieces[0] < 512 {
            // Raw deflate is detected only within the first read (a documented limit of the
            // decoder); real first reads hold the start of the body, so keep it together.
            let first = min(body.count, 512)
            var rest = Segmentation(control: cuts, length: body.count - first)
            pieces = [first] + rest.pieces(of: body.count - first)
        }
        let whole = decode(body, coding: coding, pieces: body.isEmpty ? [] : [body.count])
        let split = decode(body, coding: coding, pieces: pieces)
        require(
            oneIsPrefix(whole.output, split.output),
            "\(coding) output depends on how the input was cut")
        guard !whole.capped && !split.capped else { return }
        require(
            whole.failed == split.failed && whole.finished == split.finished,
            "whether \(coding) decoding fails or finishes depends on how the input was cut: whole failed "
                + "\(whole.failed), finished \(whole.finished); in pieces failed \(split.failed), finished \(split.finished)"
        )
        // How much a decoder flushes before an error or the end of its input depends on the
        // pieces (brotli keeps output in its ring buffer); a complete stream must decode alike.
        if whole.finished {
            require(
                sameBytes(whole.output, split.output),
                "\(coding) decodes \(whole.output.count) bytes whole and \(split.output.count) in pieces")
        }
    }

    private static func decode(_ body: UnsafeRawBufferPointer, coding: ContentCoding, pieces: [Int]) -> Run {
        let decompressor = coding.makeDecompressor()
        var run = Run()
        var offset = 0
        do {
            for piece in pieces {
                decompressor.feed(ByteBuffer(body[offset..<(offset + piece)]))
                while let chunk = try decompressor.next() {
                    require(
                        !chunk.isEmpty && chunk.count <= outputChunkSize,
                        "\(coding) emitted a chunk of \(chunk.count) bytes")
                    run.output.append(chunk)
                    if run.output.count > cap { throw Capped() }
                }
                offset += piece
            }
        } catch is Capped {
            run.capped = true
            return run
        } catch let error as HTTPClientError {
            require(
                error.kind == .protocolViolation(.invalidContentEncoding),
                "\(coding) threw an unexpected kind of error: \(error)")
            run.failed = true
            return run
        } catch {
            require(false, "\(coding) threw an error that is not an HTTPClientError: \(error)")
        }
        do {
            try decompressor.finish()
            run.finished = true
        } catch {
            require(
                error.kind == .protocolViolation(.invalidContentEncoding),
                "\(coding) finish threw an unexpected kind of error: \(error)")
        }
        return run
    }
}
