package import CourierCore

/// Turns the frames one peer sends into messages and control events (RFC 6455 §5.4–§5.6): joins
/// fragments, decompresses messages the peer compressed (RFC 7692), and checks text as it comes.
///
/// Control frames may arrive between the fragments of a message and are handed over at once. A
/// continuation with no message open, or a new message while one is open, is a protocol error
/// (1002). A message longer than ``maxMessageSize`` after decompression fails with 1009 as soon as
/// it passes the limit; text that is not UTF-8 fails with 1007 at the fragment holding the first
/// bad octet, without waiting for the message to end (§8.1). Close frames are validated here
/// (§5.5.1, §7.4); what a close means for the connection is ``WebSocketCloseState``'s business.
///
/// Not `Sendable` when compression is on: it owns zlib state. One owner: the connection's reader.
package struct WebSocketMessageAssembler {
    /// 16 MiB: far beyond what chat, RPC or notification traffic needs, small enough that one
    /// connection cannot hold a large part of memory.
    package static let defaultMaxMessageSize = 16 << 20

    package let maxMessageSize: Int
    private let inflater: WebSocketInflater?
    /// The fragmented message being received, if any.
    private var open: OpenMessage?
    /// The UTF-8 check of the text frame still arriving, ahead of the frame (see `checkArriving`).
    private var arriving: (validator: WebSocketUTF8Validator, checked: Int)?

    /// What one frame amounted to.
    package enum Event: Hashable, Sendable {
        case message(WebSocketMessage)
        case ping(ByteBuffer)
        case pong(ByteBuffer)
        case close(WebSocketClosePayload)
    }

    private struct OpenMessage {
        let isText: Bool
        let compressed: Bool
        var bytes: [UInt8]
        var validator = WebSocketUTF8Validator()
    }

    /// `deflate` is what was negotiated for permessage-deflate, nil without it; `role` is this
    /// end's, whose peer's parameters decide how to decompress.
    package init(
        role: WebSocketRole, deflate: PerMessageDeflateParameters? = nil, maxMessageSize: Int = defaultMaxMessageSize
    ) {
        self.maxMessageSize = maxMessageSize
        self.inflater = deflate?.makeInflater(for: role)
    }

    /// Takes the next frame from the decoder; returns a complete message, a control frame's
    /// event, or nil for a fragment that does not end its message.
    ///
    /// - Throws: ``WebSocketProtocolError``; the connection must then be failed.
    package mutating func receive(_ frame: WebSocketFrame) throws(WebSocketProtocolError) -> Event? {
        switch frame.opcode {
        case .ping: return .ping(frame.payload)
        case .pong: return .pong(frame.payload)
        case .close: return .close(try WebSocketClosePayload(parsing: frame.payload))
        case .text, .binary:
            guard open == nil else { throw .expectedContinuation(frame.opcode) }
            guard !frame.compressed || inflater != nil else {
                throw .reservedBits(WebSocketFrameHeader.rsv1, opcode: frame.opcode)
            }
            let message = OpenMessage(isText: frame.opcode == .text, compressed: frame.compressed, bytes: [])
            return try append(frame, to: message)
        case .continuation:
            guard let message = open.take() else { throw .unexpectedContinuation }
            return try append(frame, to: message)
        }
    }

    /// Whether taking `frame` may cost more than a reactor should spend on one frame, which the
    /// other connections on its thread wait for: compressed data of 1 KiB or more, which may
    /// inflate up to a thousandfold (a few milliseconds of zlib), or 64 KiB of payload to copy
    /// and check. The reader takes such a frame off the reactor; below that, the two thread
    /// hand-offs would cost about as much as the work.
    package func isCostly(_ frame: WebSocketFrame) -> Bool {
        let compressed = frame.opcode == .continuation ? open?.compressed ?? false : frame.compressed
        return frame.payload.count >= (compressed ? 1 << 10 : 64 << 10)
    }

    /// Checks the first `arrived` octets of an uncompressed text frame whose end has not arrived
    /// yet, so that invalid UTF-8 fails the connection when its octet arrives rather than when
    /// the frame is complete (RFC 6455 §8.1; Autobahn 6.4.3 and 6.4.4 send such a frame in chops).
    /// Each octet is checked once here and once more when the frame is whole; other frames
    /// (binary, compressed, control) are left for ``receive(_:)``.
    package mutating func checkArriving(
        _ header: WebSocketFrameHeader, arrived: UnsafeRawBufferPointer
    ) throws(WebSocketProtocolError) {
        guard header.reservedBits == 0 else { return }
        let validator: WebSocketUTF8Validator
        switch (header.opcode, open) {
        case (.text, nil): validator = WebSocketUTF8Validator()
        case (.continuation, let message?) where message.isText && !message.compressed: validator = message.validator
        default: return
        }
        var (state, checked) = arriving ?? (validator, 0)
        guard arrived.count > checked else { return }
        guard state.validate(UnsafeRawBufferPointer(rebasing: arrived[checked...])) else { throw .invalidUTF8 }
        arriving = (state, arrived.count)
    }

    /// Adds a frame's payload to its message; completes the message on FIN, or leaves it open.
    private mutating func append(
        _ frame: WebSocketFrame, to message: OpenMessage
    ) throws(WebSocketProtocolError) -> Event? {
        var message = message
        let start = message.bytes.count
        arriving = nil
        if message.compressed, let inflater {
            try frame.payload.withUnsafeBytes { payload throws(WebSocketProtocolError) in
                try inflater.decompress(payload, into: &message.bytes, limit: maxMessageSize)
            }
            if frame.fin { try inflater.finishMessage(into: &message.bytes, limit: maxMessageSize) }
        } else {
            guard frame.payload.count <= maxMessageSize - start else { throw .messageTooLarge(limit: maxMessageSize) }
            if start == 0 && frame.fin {
                // An unfragmented message: its payload is the message, without a copy.
                message.bytes = frame.payload.array
            } else {
                message.bytes.append(contentsOf: frame.payload)
            }
        }
        if message.isText {
            let valid = message.bytes.withUnsafeBytes { bytes in
                message.validator.validate(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            }
            guard valid else { throw .invalidUTF8 }
        }
        guard frame.fin else {
            open = message
            return nil
        }
        guard message.isText else { return .message(.binary(message.bytes)) }
        guard message.validator.isComplete else { throw .invalidUTF8 }
        return .message(.text(String(decoding: message.bytes, as: UTF8.self)))
    }
}
