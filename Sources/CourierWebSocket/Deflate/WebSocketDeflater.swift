import CCourierZlib

/// Compresses the messages this end sends with permessage-deflate (RFC 7692 §7.2.1): raw DEFLATE
/// flushed with Z_SYNC_FLUSH at the end of each message, whose 0x00 0x00 0xFF 0xFF tail is then
/// removed. With context takeover the window carries over from message to message; without it
/// the compressor starts every message afresh.
///
/// A negotiated window of 8 bits is deflated with 9: zlib refuses raw deflate with 8 since 1.2.9
/// (`deflateInit2` returns Z_STREAM_ERROR; with a zlib header it silently uses 9). That still
/// honours the peer's 256-octet window: zlib never emits a match farther back than the window
/// size minus MIN_LOOKAHEAD (262 octets), which for 512 octets is 250 (RFC 7692 §7.1.2.1 asks
/// only that references stay within the agreed window).
///
/// A class because zlib's state points back at its `z_stream`, which must not move. One owner at
/// a time (the connection's writer), never shared.
final class WebSocketDeflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let noContextTakeover: Bool

    init(windowBits: Int, noContextTakeover: Bool) {
        self.noContextTakeover = noContextTakeover
        stream.initialize(to: z_stream())
        let status = courier_deflateInit2(
            stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -Int32(max(windowBits, 9)), 8, Z_DEFAULT_STRATEGY)
        precondition(status == Z_OK, "deflateInit2 failed with \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The compressed payload of one message, without the tail.
    func compress(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        // Room for incompressible input, its block headers and the flush: rarely exceeded.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(input.count))) + 16)
        var written = 0
        while true {
            let status = output.withUnsafeMutableBytes { buffer in
                stream.pointee.next_out = buffer.baseAddress?.assumingMemoryBound(to: Bytef.self).advanced(by: written)
                stream.pointee.avail_out = uInt(buffer.count - written)
                let status = deflate(stream, Z_SYNC_FLUSH)
                written = buffer.count - Int(stream.pointee.avail_out)
                return status
            }
            // Z_BUF_ERROR: the previous call had filled the output exactly and nothing was left.
            precondition(status == Z_OK || status == Z_BUF_ERROR, "deflate failed with \(status)")
            guard stream.pointee.avail_out == 0 else { break }
            output.append(contentsOf: repeatElement(0, count: output.count))
        }
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        if noContextTakeover { deflateReset(stream) }
        // A sync flush always ends in an empty stored block, whose last four octets are the tail.
        precondition(output[(written - 4)..<written].elementsEqual(WebSocketInflater.tail), "no sync-flush tail")
        output.removeSubrange((written - 4)...)
        return output
    }
}
