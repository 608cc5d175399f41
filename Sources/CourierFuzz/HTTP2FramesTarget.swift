import CourierCore
import CourierHTTP2
import CourierTransport

/// `HTTP2FrameDecoder` in both roles on a stream of frames, and `HTTP2FrameEncoder` on what it
/// decodes.
///
/// Input: a control byte (bit 0: server role, so the client preface is checked; bit 1: a client
/// that enabled push; bit 2: a 1 KiB header block limit instead of 256 KiB; bit 3: frames of at
/// most 64 octets instead of 16384, so short inputs reach the size limit and the encoder splits
/// header blocks; bit 4: the fuzzer writes the opening itself instead of the target prepending
/// the preface the role expects and an empty SETTINGS frame), a segmentation byte, then the bytes.
///
/// Invariants: the frames, the stream errors and the connection error do not depend on how the
/// bytes were cut into reads; every decoded frame re-encodes into frames that decode to it alone;
/// a frame that came in one wire frame re-encodes to the same octets, except for reserved bits,
/// flags its type does not define, padding octets and unknown SETTINGS.
enum HTTP2FramesTarget {
    private enum Event: Equatable {
        case frame(HTTP2Frame)
        case streamError(HTTP2FrameError)
    }

    private struct Run: Equatable {
        var events: [Event] = []
        var connectionError: HTTP2FrameError?
    }

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let cuts = input.byte()
        let role: HTTP2FrameDecoder.Role = control & 1 != 0 ? .server : .client(pushEnabled: control & 2 != 0)
        let maxFrameSize = control & 8 != 0 ? 64 : 16_384
        let decoder = HTTP2FrameDecoder(
            role: role, maxFrameSize: maxFrameSize,
            maxHeaderBlockSize: control & 4 != 0 ? 1024 : HPACKDecoder.defaultMaxHeaderListSize)
        let opening = control & 16 != 0 ? [] : self.opening(role)
        let stream = opening + Array(input.rest())

        let whole = decode(stream, pieces: [stream.count], decoder: decoder)
        var segmentation = Segmentation(control: cuts, length: stream.count)
        let split = decode(stream, pieces: segmentation.pieces(of: stream.count), decoder: decoder)
        require(
            whole == split,
            "the outcome depends on how the frames were cut into reads: whole \(whole), in pieces \(split)")

        let encoder = HTTP2FrameEncoder(maxFrameSize: maxFrameSize)
        let sources = wireFrames(stream, role: role, count: whole.events.count)
        for (event, source) in zip(whole.events, sources) {
            guard case .frame(let frame) = event else { continue }
            var wire: [UInt8] = []
            encoder.encode(frame, into: &wire)
            let reopened = self.opening(role) + wire
            let again = decode(reopened, pieces: [reopened.count], decoder: decoder)
            require(
                again.connectionError == nil && again.events.dropFirst() == [.frame(frame)],
                "\(frame) re-encoded as \(escaped(wire)) decodes to \(again)")
            if let source, let original = normalized(source) {
                require(
                    normalized(wire[...]) == original,
                    "\(frame) re-encodes to \(escaped(wire)), not \(escaped(source))")
            }
        }
    }

    /// What a decoder of `role` expects first: the client preface for a server, and SETTINGS.
    private static func opening(_ role: HTTP2FrameDecoder.Role) -> [UInt8] {
        let settings: [UInt8] = [0, 0, 0, 4, 0, 0, 0, 0, 0]
        switch role {
        case .server: return Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + settings
        case .client: return settings
        }
    }

    private static func decode(_ bytes: [UInt8], pieces: [Int], decoder: HTTP2FrameDecoder) -> Run {
        var decoder = decoder
        var buffer = ReceiveBuffer(initialReadSize: 64)
        var run = Run()
        var offset = 0
        for piece in pieces {
            buffer.append(bytes[offset..<(offset + piece)])
            offset += piece
            while true {
                do {
                    guard let frame = try decoder.nextFrame(from: &buffer) else { break }
                    run.events.append(.frame(frame))
                } catch {
                    guard case .stream = error.scope else {
                        run.connectionError = error
                        return run
                    }
                    run.events.append(.streamError(error))
                }
            }
        }
        return run
    }

    /// The wire frame behind each of the first `count` events, or nil for a header block that
    /// came in more than one frame. Walks the frame headers as the decoder does: the preface and
    /// unknown types deliver nothing, CONTINUATION frames join the block they continue.
    private static func wireFrames(_ bytes: [UInt8], role: HTTP2FrameDecoder.Role, count: Int) -> [ArraySlice<UInt8>?] {
        var result: [ArraySlice<UInt8>?] = []
        var offset = 0
        if case .server = role, bytes.starts(with: HTTP2ConnectionPreface.bytes) {
            offset = HTTP2ConnectionPreface.bytes.count
        }
        var blockOpen = false
        while result.count < count, offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let type = HTTP2FrameType(rawValue: bytes[offset + 3])
            let flags = bytes[offset + 4]
            let frame = bytes[offset..<min(bytes.count, offset + 9 + length)]
            offset += 9 + length
            switch type {
            case nil: continue
            case .headers?, .pushPromise?, .continuation?:
                if flags & 0x4 == 0 {
                    blockOpen = true
                    continue
                }
                result.append(blockOpen || type == .continuation ? nil : frame)
                blockOpen = false
            default: result.append(frame)
            }
        }
        return result
    }

    /// A frame's octets without what the decoder drops: the reserved bits, flags its type does
    /// not define, and padding octets. Nil for SETTINGS with parameters the decoder ignores.
    private static func normalized(_ frame: ArraySlice<UInt8>) -> [UInt8]? {
        var bytes = Array(frame)
        guard bytes.count >= 9, let type = HTTP2FrameType(rawValue: bytes[3]) else { return nil }
        bytes[5] &= 0x7F
        let defined: UInt8
        switch type {
        case .data: defined = 0x09
        case .headers: defined = 0x2D
        case .pushPromise: defined = 0x0C
        case .settings, .ping: defined = 0x01
        case .continuation: defined = 0x04
        case .priority, .rstStream, .goAway, .windowUpdate: defined = 0
        }
        bytes[4] &= defined
        let padded = bytes[4] & 0x08 != 0 && bytes.count > 9
        let payloadStart = padded ? 10 : 9
        switch type {
        case .windowUpdate, .goAway, .pushPromise:
            if bytes.count > payloadStart { bytes[payloadStart] &= 0x7F }
        case .settings:
            for offset in stride(from: 9, to: bytes.count - 5, by: 6) {
                let identifier = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
                guard HTTP2Setting.Identifier(rawValue: identifier) != nil else { return nil }
            }
        case .data, .headers, .priority, .rstStream, .ping, .continuation: break
        }
        if padded {
            let padLength = Int(bytes[9])
            for index in bytes.count - padLength..<bytes.count { bytes[index] = 0 }
        }
        return bytes
    }
}
