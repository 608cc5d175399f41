/// Writes frames (RFC 6455 §5.2): headers with the shortest length encoding, payloads masked
/// when the role requires it, data messages fragmented into frames of at most
/// ``maxFramePayloadSize`` octets.
///
/// A client masks every frame with a fresh key from a cryptographically sound generator (§5.3,
/// §10.3: keys an attacker could predict would let a script steer the bytes an intermediary
/// sees). `SystemRandomNumberGenerator` reads the kernel's CSPRNG; tests pass their own.
package struct WebSocketFrameEncoder: Sendable {
    package let role: WebSocketRole
    /// The largest payload of one frame; longer messages become several. Fragments let control
    /// frames (a pong, a close) go out between the frames of a long message, and keep every frame
    /// within the per-frame limits peers commonly set.
    package let maxFramePayloadSize: Int
    private var maskKeys: any RandomNumberGenerator & Sendable

    /// 64 KiB: the header costs at most 14 octets in 65,536, and far smaller limits are rare.
    package static let defaultMaxFramePayloadSize = 64 << 10

    package init(
        role: WebSocketRole, maxFramePayloadSize: Int = defaultMaxFramePayloadSize,
        maskKeys: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()
    ) {
        precondition(maxFramePayloadSize > 0, "frames must be able to carry a payload")
        self.role = role
        self.maxFramePayloadSize = maxFramePayloadSize
        self.maskKeys = maskKeys
    }

    /// Appends one frame, as it is: control frames and frames the caller fragmented itself.
    package mutating func encode(_ frame: WebSocketFrame, into output: inout [UInt8]) {
        frame.payload.withUnsafeBytes { payload in
            append(
                fin: frame.fin, compressed: frame.compressed, opcode: frame.opcode, payload: payload, into: &output)
        }
    }

    /// Appends a whole data message (`opcode` `.text` or `.binary`) as one frame or as a first
    /// frame and continuations; `compressed` sets RSV1 on the first frame only (RFC 7692 §6).
    package mutating func encodeMessage(
        _ opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer, compressed: Bool, into output: inout [UInt8]
    ) {
        let frameCount = max(1, (payload.count + maxFramePayloadSize - 1) / maxFramePayloadSize)
        output.reserveCapacity(output.count + payload.count + frameCount * WebSocketFrameHeader.maxEncodedLength)
        var offset = 0
        for index in 0..<frameCount {
            let end = min(offset + maxFramePayloadSize, payload.count)
            append(
                fin: index == frameCount - 1, compressed: compressed && index == 0,
                opcode: index == 0 ? opcode : .continuation,
                payload: UnsafeRawBufferPointer(rebasing: payload[offset..<end]), into: &output)
            offset = end
        }
    }

    private mutating func append(
        fin: Bool, compressed: Bool, opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer,
        into output: inout [UInt8]
    ) {
        let maskKey: UInt32? =
            switch role {
            case .client: UInt32(truncatingIfNeeded: maskKeys.next())
            case .server: nil
            }
        let header = WebSocketFrameHeader(
            fin: fin, reservedBits: compressed ? WebSocketFrameHeader.rsv1 : 0, opcode: opcode, maskKey: maskKey,
            payloadLength: UInt64(payload.count))
        header.encode(into: &output)
        let start = output.count
        output.append(contentsOf: payload)
        if let maskKey {
            output.withUnsafeMutableBytes { bytes in
                WebSocketMasking.apply(key: maskKey, to: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]))
            }
        }
    }
}
