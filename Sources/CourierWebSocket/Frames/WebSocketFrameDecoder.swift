import CourierCore
package import CourierTransport

/// Reads the frames one peer sends (RFC 6455 §5) from the bytes its socket delivers, in whatever
/// pieces they arrive.
///
/// Role-neutral: the client reads a server's frames with it and the test server a client's; the
/// role decides only which masking is required (§5.1). Everything a frame header decides is
/// checked as soon as the header is there, before its payload is waited for, so that a peer
/// announcing a 2^62-octet frame is refused on its first 10 octets rather than buffered:
/// reserved bits beyond what the negotiated extensions allow, RSV1 (permessage-deflate) only on a
/// data frame that begins a message, control frames short and unfragmented (§5.5), masking by
/// role, and the payload length against ``maxFramePayloadSize``. Message-level rules
/// (continuations, sizes after decompression, UTF-8) are the assembler's.
///
/// A frame is handed over whole, with its payload unmasked: lent from the receive buffer when
/// the peer did not mask it, copied once while unmasking when it did.
package struct WebSocketFrameDecoder: Sendable {
    package let role: WebSocketRole
    /// Whether permessage-deflate was negotiated, which lets RSV1 mark compressed messages.
    package let compressionNegotiated: Bool
    /// The longest payload one frame may carry; longer frames fail with 1009 (§7.4.1).
    package let maxFramePayloadSize: Int

    package init(role: WebSocketRole, compressionNegotiated: Bool = false, maxFramePayloadSize: Int) {
        self.role = role
        self.compressionNegotiated = compressionNegotiated
        self.maxFramePayloadSize = maxFramePayloadSize
    }

    /// The next complete frame in `buffer`, which it consumes, or nil when more bytes are needed.
    ///
    /// - Throws: ``WebSocketProtocolError``; the connection must then be failed and the decoder
    ///   not used again.
    package func nextFrame(from buffer: inout ReceiveBuffer) throws(WebSocketProtocolError) -> WebSocketFrame? {
        let parsed = try buffer.withReadableBytes { bytes throws(WebSocketProtocolError) in
            try WebSocketFrameHeader.parse(bytes)
        }
        guard let (header, headerLength) = parsed else { return nil }
        try check(header)
        // `check` bounded the length by `maxFramePayloadSize`, an `Int`.
        let payloadLength = Int(header.payloadLength)
        // Subtracted rather than added: a limit of `Int.max` must not overflow.
        guard buffer.readableCount - headerLength >= payloadLength else { return nil }
        buffer.skip(headerLength)
        let payload: ByteBuffer
        if let key = header.maskKey {
            let unmasked = buffer.withReadableBytes { bytes in
                [UInt8](unsafeUninitializedCapacity: payloadLength) { output, count in
                    let output = UnsafeMutableRawBufferPointer(output)
                    output.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<payloadLength]))
                    WebSocketMasking.apply(key: key, to: output)
                    count = payloadLength
                }
            }
            buffer.skip(payloadLength)
            payload = ByteBuffer(unmasked)
        } else {
            payload = buffer.take(payloadLength)
        }
        return WebSocketFrame(
            fin: header.fin, compressed: header.reservedBits & WebSocketFrameHeader.rsv1 != 0, opcode: header.opcode,
            payload: payload)
    }

    /// Runs `body` over the frame at the front of `buffer` when its header is there but its
    /// payload is not all there yet: the header, and the payload octets that have arrived
    /// (unmasked frames only: a masked payload would have to be copied to be read). Consumes
    /// nothing; does nothing for a complete frame, which ``nextFrame(from:)`` returns.
    package func withArrivingPayload(
        in buffer: ReceiveBuffer,
        _ body: (WebSocketFrameHeader, UnsafeRawBufferPointer) throws(WebSocketProtocolError) -> Void
    ) throws(WebSocketProtocolError) {
        try buffer.withReadableBytes { bytes throws(WebSocketProtocolError) in
            guard let (header, headerLength) = try WebSocketFrameHeader.parse(bytes), header.maskKey == nil else {
                return
            }
            try check(header)
            let arrived = bytes.count - headerLength
            guard arrived < Int(header.payloadLength) else { return }
            try body(header, UnsafeRawBufferPointer(rebasing: bytes[headerLength...]))
        }
    }

    /// The rules a header alone decides.
    private func check(_ header: WebSocketFrameHeader) throws(WebSocketProtocolError) {
        let allowedBits = compressionNegotiated ? WebSocketFrameHeader.rsv1 : 0
        guard header.reservedBits & ~allowedBits == 0 else {
            throw .reservedBits(header.reservedBits, opcode: header.opcode)
        }
        let opcode = header.opcode
        if header.reservedBits != 0 && (opcode == .continuation || opcode.isControl) {
            throw .compressedBitMisplaced(opcode)
        }
        if opcode.isControl {
            guard header.payloadLength <= 125 else { throw .controlFrameTooLong(opcode, length: header.payloadLength) }
            guard header.fin else { throw .fragmentedControlFrame(opcode) }
        }
        switch (role, header.maskKey) {
        case (.server, nil): throw .unmaskedFrame
        case (.client, .some): throw .maskedFrame
        case (.server, .some), (.client, nil): break
        }
        guard header.payloadLength <= UInt64(maxFramePayloadSize) else {
            throw .frameTooLarge(length: header.payloadLength, limit: maxFramePayloadSize)
        }
    }
}
