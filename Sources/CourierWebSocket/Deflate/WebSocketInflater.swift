import CCourierZlib
import CourierCore

/// Decompresses the messages one peer compressed with permessage-deflate (RFC 7692 §7.2.2): raw
/// DEFLATE, each message's frames fed in as they arrive, the 0x00 0x00 0xFF 0xFF tail the sender
/// stripped put back at the end of the message.
///
/// The output of a message is capped: decompression stops, and the message fails with 1009, as
/// soon as it would pass the limit, so a few kilobytes that inflate to gigabytes (a deflate bomb)
/// cost no more memory than a message at the limit. zlib writes into a fixed scratch area that
/// is offered at most one octet beyond what the limit leaves, and only octets within the limit
/// are appended to the message.
///
/// A class because zlib's state points back at its `z_stream`, which must not move. One owner at
/// a time (the connection's reader), never shared.
final class WebSocketInflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let scratch = UnsafeMutableRawBufferPointer.allocate(
        byteCount: WebSocketInflater.scratchSize, alignment: 1)
    /// The peer starts every message with an empty window: reset after each one.
    private let noContextTakeover: Bool

    private static let scratchSize = 32 << 10
    /// What the sender removed from the end of every message (RFC 7692 §7.2.1).
    static let tail = ByteBuffer([0x00, 0x00, 0xFF, 0xFF])

    /// `windowBits` is the peer's negotiated LZ77 window (8–15), which bounds how far back its
    /// references reach and so how much window this side keeps.
    init(windowBits: Int, noContextTakeover: Bool) {
        self.noContextTakeover = noContextTakeover
        stream.initialize(to: z_stream())
        let status = courier_inflateInit2(stream, -Int32(windowBits))
        precondition(status == Z_OK, "inflateInit2 failed with \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Inflates the compressed payload of one frame of a message, appending to `output`, which
    /// must not pass `limit` octets.
    func decompress(
        _ input: UnsafeRawBufferPointer, into output: inout [UInt8], limit: Int
    ) throws(WebSocketProtocolError) {
        stream.pointee.next_in = UnsafeMutablePointer(
            mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        while true {
            let room = limit - output.count
            // One octet past the room shows an overrun; compared first, so that a limit of
            // `Int.max` cannot overflow.
            let offered = room < scratch.count ? room + 1 : scratch.count
            stream.pointee.next_out = scratch.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(offered)
            let status = inflate(stream, Z_SYNC_FLUSH)
            let produced = offered - Int(stream.pointee.avail_out)
            guard produced <= room else { throw .messageTooLarge(limit: limit) }
            append(produced, to: &output, limit: limit)
            switch status {
            case Z_OK:
                // More may be pending when the scratch area filled up.
                if stream.pointee.avail_in == 0 && produced < offered { return }
            case Z_STREAM_END:
                // The sender set BFINAL (allowed, §7.2.3.4): what follows is a new DEFLATE stream.
                restartStream()
                if stream.pointee.avail_in == 0 { return }
            case Z_BUF_ERROR:
                // No progress possible: the input is used up and nothing is pending.
                return
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw .invalidCompressedData(message)
            }
        }
    }

    /// Ends a message: inflates the tail the sender stripped, and forgets the window if the peer
    /// does not keep it either.
    func finishMessage(into output: inout [UInt8], limit: Int) throws(WebSocketProtocolError) {
        try WebSocketInflater.tail.withUnsafeBytes { tail throws(WebSocketProtocolError) in
            try decompress(tail, into: &output, limit: limit)
        }
        if noContextTakeover { inflateReset(stream) }
    }

    /// Starts a new DEFLATE stream after one ended, keeping the window unless the peer starts
    /// every message afresh anyway: with context takeover its next message may still refer back
    /// into this one.
    private func restartStream() {
        guard !noContextTakeover else {
            inflateReset(stream)
            return
        }
        var window = [UInt8](repeating: 0, count: 1 << 15)
        var length = uInt(window.count)
        _ = inflateGetDictionary(stream, &window, &length)
        inflateReset(stream)
        _ = inflateSetDictionary(stream, window, length)
    }

    /// Appends what zlib wrote to the scratch area, growing `output` geometrically but never
    /// reserving past `limit`.
    private func append(_ count: Int, to output: inout [UInt8], limit: Int) {
        guard count > 0 else { return }
        let needed = output.count + count
        if needed > output.capacity {
            output.reserveCapacity(min(limit, max(needed, output.capacity * 2)))
        }
        output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
    }
}
