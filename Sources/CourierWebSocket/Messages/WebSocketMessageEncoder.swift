package import CourierCore

/// Turns the messages and control frames this end sends into octets: compressed with
/// permessage-deflate when negotiated and worth it, fragmented and masked by the frame encoder.
///
/// Not `Sendable` when compression is on: it owns zlib state. One owner: the connection's writer.
package struct WebSocketMessageEncoder {
    private var frames: WebSocketFrameEncoder
    private let deflater: WebSocketDeflater?

    /// Messages shorter than this go out uncompressed (RSV1 clear, which RFC 7692 §6 allows for
    /// any message). A short message gives LZ77 little to find, while a compressed one pays a block
    /// header, an end-of-block code and the sync flush's empty block, and a zlib call; OkHttp draws
    /// the line at 1024 octets, which would leave most chat and RPC messages uncompressed even
    /// where context takeover makes them cheap. 64 is a judgement between the two, not a
    /// measurement. (A message sent uncompressed stays out of the compressor's window, which only
    /// costs later messages a little ratio.)
    package static let compressionThreshold = 64

    /// `deflate` is what was negotiated for permessage-deflate, nil without it.
    package init(
        role: WebSocketRole, deflate: PerMessageDeflateParameters? = nil,
        maxFramePayloadSize: Int = WebSocketFrameEncoder.defaultMaxFramePayloadSize,
        maskKeys: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        frames = WebSocketFrameEncoder(role: role, maxFramePayloadSize: maxFramePayloadSize, maskKeys: maskKeys)
        deflater = deflate?.makeDeflater(for: role)
    }

    /// Whether encoding `message` may cost more than a reactor should spend on it, which the other
    /// connections on its thread wait for: 8 KiB or more to compress (zlib deflates some tens of
    /// megabytes a second), or 64 KiB to copy and mask. The writer encodes such a message off the
    /// reactor; below that, the two thread hand-offs would cost about as much as the work.
    package func isCostly(_ message: WebSocketMessage) -> Bool {
        let count =
            switch message {
            case .text(let text): text.utf8.count
            case .binary(let bytes): bytes.count
            }
        return count >= (deflater != nil ? 8 << 10 : 64 << 10)
    }

    /// The frames of one data message.
    package mutating func encode(_ message: WebSocketMessage) -> [UInt8] {
        switch message {
        case .text(let text):
            var text = text
            return text.withUTF8 { encode(.text, payload: UnsafeRawBufferPointer($0)) }
        case .binary(let bytes):
            return bytes.withUnsafeBytes { encode(.binary, payload: $0) }
        }
    }

    private mutating func encode(_ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        if let deflater, payload.count >= Self.compressionThreshold {
            let compressed = deflater.compress(payload)
            compressed.withUnsafeBytes { frames.encodeMessage(opcode, payload: $0, compressed: true, into: &output) }
        } else {
            frames.encodeMessage(opcode, payload: payload, compressed: false, into: &output)
        }
        return output
    }

    /// A ping or pong frame; `payload` at most 125 octets (RFC 6455 §5.5).
    package mutating func encodeControl(_ opcode: WebSocketOpcode, payload: ByteBuffer) -> [UInt8] {
        precondition(opcode == .ping || opcode == .pong, "not a ping or pong: \(opcode)")
        precondition(payload.count <= 125, "control frame payload of \(payload.count) octets")
        var output: [UInt8] = []
        frames.encode(WebSocketFrame(opcode: opcode, payload: payload), into: &output)
        return output
    }

    /// A close frame.
    package mutating func encodeClose(_ payload: WebSocketClosePayload) -> [UInt8] {
        var output: [UInt8] = []
        frames.encode(WebSocketFrame(opcode: .close, payload: ByteBuffer(payload.bytes)), into: &output)
        return output
    }
}
