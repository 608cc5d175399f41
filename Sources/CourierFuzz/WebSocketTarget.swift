import CourierCore
import CourierTransport
import CourierWebSocket

/// What the client's WebSocket reader does with a server's bytes: `WebSocketFrameDecoder` and
/// `WebSocketMessageAssembler` in the client role, with the early UTF-8 check of a text frame
/// still arriving, and permessage-deflate when negotiated; `WebSocketMessageEncoder` in the
/// server role on the messages that come out.
///
/// Input: a control byte (bit 0: permessage-deflate negotiated; bit 1: the server without context
/// takeover; bit 2: a 256-octet message limit instead of 64 KiB, so short inputs reach it and
/// decompression bombs hit it; bits 4–6: the server's window, 8 + that many bits), a segmentation
/// byte, then the server's bytes.
///
/// Invariants: the events and whether the stream fails do not depend on how the bytes were cut
/// into reads; the error is the same too, except that a text frame checked as it arrives may fail
/// as invalid UTF-8 before it is whole, when the whole frame would first have broken another rule;
/// no message exceeds the limit; an uncompressed text message is what the standard library
/// accepts as UTF-8, octet for octet; every message, re-encoded by a server (compressed with the
/// same parameters, in 64-octet frames), is read back as itself.
enum WebSocketTarget {
    private struct Run: Equatable {
        var events: [WebSocketMessageAssembler.Event] = []
        var error: WebSocketProtocolError?
    }

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let cuts = input.byte()
        let deflate =
            control & 1 == 0
            ? nil
            : PerMessageDeflateParameters(
                serverNoContextTakeover: control & 2 != 0, serverMaxWindowBits: 8 + Int(control >> 4 & 7))
        let limit = control & 4 != 0 ? 256 : 64 << 10
        let stream = Array(input.rest())

        let whole = read(stream, pieces: [stream.count], deflate: deflate, limit: limit)
        var segmentation = Segmentation(control: cuts, length: stream.count)
        let split = read(stream, pieces: segmentation.pieces(of: stream.count), deflate: deflate, limit: limit)
        require(
            whole.events == split.events && (whole.error == nil) == (split.error == nil),
            "the outcome depends on how the bytes were cut into reads: whole \(whole), in pieces \(split)")
        require(
            whole.error == split.error || split.error == .invalidUTF8,
            "the error depends on the reads: whole \(String(describing: whole.error)), in pieces \(String(describing: split.error))"
        )

        let messages = whole.events.compactMap { event -> WebSocketMessage? in
            guard case .message(let message) = event else { return nil }
            return message
        }
        for message in messages {
            require(size(of: message) <= limit, "a message of \(size(of: message)) octets past the limit of \(limit)")
        }
        var encoder = WebSocketMessageEncoder(role: .server, deflate: deflate, maxFramePayloadSize: 64)
        let again = messages.flatMap { encoder.encode($0) }
        let reread = read(again, pieces: [again.count], deflate: deflate, limit: limit)
        require(
            reread.error == nil && reread.events == messages.map { .message($0) },
            "the messages \(messages), sent again by a server, read as \(reread)")
    }

    /// The reader's loop over `bytes` delivered in `pieces`: frames while there are whole ones,
    /// then the arriving frame's early check, until an error or a close frame.
    private static func read(
        _ bytes: [UInt8], pieces: [Int], deflate: PerMessageDeflateParameters?, limit: Int
    ) -> Run {
        let decoder = WebSocketFrameDecoder(
            role: .client, compressionNegotiated: deflate != nil, maxFramePayloadSize: limit)
        var assembler = WebSocketMessageAssembler(role: .client, deflate: deflate, maxMessageSize: limit)
        var buffer = ReceiveBuffer(initialReadSize: 64)
        var run = Run()
        var offset = 0
        var text = UncompressedText()
        do {
            for piece in pieces {
                buffer.append(bytes[offset..<(offset + piece)])
                offset += piece
                while let frame = try decoder.nextFrame(from: &buffer) {
                    text.record(frame)
                    guard let event = try assembler.receive(frame) else { continue }
                    run.events.append(event)
                    switch event {
                    case .message(let message): text.check(message)
                    case .ping, .pong: break
                    // After the peer's close frame nothing it sends counts (RFC 6455 §5.5.1).
                    case .close: return run
                    }
                }
                try decoder.withArrivingPayload(in: buffer) { header, arrived throws(WebSocketProtocolError) in
                    try assembler.checkArriving(header, arrived: arrived)
                }
            }
        } catch {
            run.error = error
        }
        return run
    }

    private static func size(of message: WebSocketMessage) -> Int {
        switch message {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }

    /// The octets of the uncompressed text message being assembled, to hold the assembler's
    /// UTF-8 check to the standard library's.
    private struct UncompressedText {
        private var octets: [UInt8]?

        mutating func record(_ frame: WebSocketFrame) {
            switch frame.opcode {
            case .text where !frame.compressed: octets = frame.payload.array
            case .text, .binary: octets = nil
            case .continuation: octets?.append(contentsOf: frame.payload.array)
            case .close, .ping, .pong: break
            }
        }

        mutating func check(_ message: WebSocketMessage) {
            defer { octets = nil }
            guard case .text(let text) = message, let octets else { return }
            require(
                String(validating: octets, as: UTF8.self) != nil && Array(text.utf8) == octets,
                "the text \(escaped(Array(text.utf8))) from octets \(escaped(octets))")
        }
    }
}
