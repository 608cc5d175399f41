import CourierCore
package import CourierTransport

/// Reads the frames one peer sends on one connection (RFC 9113 §4, §6) from the bytes its socket
/// delivers, in whatever pieces they arrive.
///
/// Role-neutral: the client reads a server's frames with it and the test server a client's. The
/// role matters only where RFC 9113 makes it matter: a server first reads the client preface, and
/// PUSH_PROMISE (or SETTINGS_ENABLE_PUSH = 1) is only allowed towards a client that enabled push.
///
/// A frame is checked as far as its own bytes allow: length against our SETTINGS_MAX_FRAME_SIZE,
/// stream identifier, fixed lengths, padding, SETTINGS values, and CONTINUATION sequencing. Checks
/// that need only the 9-octet frame header run as soon as it is there, before the payload is
/// waited for. Stream and connection state (which streams are open, flow-control windows) are the
/// connection's business, not this decoder's.
///
/// Frames are taken out of a `ReceiveBuffer` as they complete; a DATA payload or a header block
/// in one frame is lent from the buffer's storage, not copied per frame (a small one is copied
/// unless ``lendsSmallPayloads``).
/// Header blocks split over CONTINUATION frames are joined into one buffer, bounded by
/// ``maxHeaderBlockSize``.
package struct HTTP2FrameDecoder: Sendable {
    /// Who reads the frames, as far as the framing rules differ.
    package enum Role: Hashable, Sendable {
        /// A client; `pushEnabled` is the SETTINGS_ENABLE_PUSH it sent (Courier always sends 0).
        case client(pushEnabled: Bool)
        /// A server, which reads the client preface first and never accepts PUSH_PROMISE.
        case server
    }

    /// The length of a frame header (§4.1).
    package static let frameHeaderLength = 9

    package let role: Role
    /// Our SETTINGS_MAX_FRAME_SIZE as the peer knows it: the initial 16384 until it acknowledges a
    /// SETTINGS frame that changes it.
    package var maxFrameSize: Int
    /// The largest header block accepted, counting each fragment and the frame header of each
    /// CONTINUATION frame, so that neither large nor empty CONTINUATION frames go on forever.
    package let maxHeaderBlockSize: Int
    /// Whether small DATA and header-block payloads are views of the read buffer too, as large
    /// ones always are, rather than copies: for a reader that copies or decodes every payload
    /// before its next read and then calls `ReceiveBuffer.reclaimLent()`, as the client does.
    package let lendsSmallPayloads: Bool

    private var phase: Phase
    /// The header block being assembled from CONTINUATION frames, if one is open.
    private var openBlock: OpenBlock?

    package init(
        role: Role, maxFrameSize: Int = Int(HTTP2Setting.frameSizeRange.lowerBound),
        maxHeaderBlockSize: Int = HPACKDecoder.defaultMaxHeaderListSize, lendsSmallPayloads: Bool = false
    ) {
        self.role = role
        self.maxFrameSize = maxFrameSize
        self.maxHeaderBlockSize = maxHeaderBlockSize
        self.lendsSmallPayloads = lendsSmallPayloads
        self.phase = role == .server ? .preface(matched: 0) : .firstFrame
    }

    /// Where the decoder is in the connection's opening (§3.4).
    private enum Phase {
        /// A server has matched this many octets of the client preface.
        case preface(matched: Int)
        /// The next frame must be SETTINGS without ACK.
        case firstFrame
        case frames
    }

    private struct OpenBlock {
        var streamID: UInt32
        /// The HEADERS or PUSH_PROMISE frame the block began in, to be completed by the block.
        var start: BlockStart
        var fragments: [UInt8]
        /// What the block has cost so far against ``maxHeaderBlockSize``.
        var size: Int
    }

    /// The frame a header block belongs to, without the block.
    private enum BlockStart {
        case headers(endStream: Bool, priority: HTTP2Priority?, padding: UInt8?)
        case pushPromise(promisedStreamID: UInt32, padding: UInt8?)

        func frame(streamID: UInt32, block: ByteBuffer) -> HTTP2Frame {
            switch self {
            case .headers(let endStream, let priority, let padding):
                HTTP2Frame(
                    streamID: streamID,
                    payload: .headers(block, endStream: endStream, priority: priority, padding: padding))
            case .pushPromise(let promisedStreamID, let padding):
                HTTP2Frame(
                    streamID: streamID,
                    payload: .pushPromise(promisedStreamID: promisedStreamID, block, padding: padding))
            }
        }
    }

    /// What one look at the readable bytes found.
    private enum Step {
        case needMore
        /// Octets consumed with no frame to deliver: preface, an ignored frame, a fragment.
        case consumed(Int)
        /// A frame built from the payload, and the octets it took.
        case frame(HTTP2Frame, length: Int)
        /// A frame whose payload (or block) is `range` of its `length` octets, to be lent from the
        /// buffer rather than copied.
        case lend(Lent, streamID: UInt32, range: Range<Int>, length: Int)
        /// A stream error: the frame's `length` octets are consumed before it is thrown, so the
        /// connection reads on.
        case streamError(HTTP2FrameError, length: Int)
    }

    private enum Lent {
        case data(endStream: Bool, padding: UInt8?)
        case block(BlockStart)

        func frame(streamID: UInt32, bytes: ByteBuffer) -> HTTP2Frame {
            switch self {
            case .data(let endStream, let padding):
                HTTP2Frame(streamID: streamID, payload: .data(bytes, endStream: endStream, padding: padding))
            case .block(let start): start.frame(streamID: streamID, block: bytes)
            }
        }
    }

    /// The next complete frame in `buffer`, which it consumes, or nil when more bytes are needed.
    /// Frames of unknown types, and the client preface, are consumed without being returned.
    ///
    /// - Throws: ``HTTP2FrameError``. After a stream error (``HTTP2FrameError/scope``) the frame
    ///   is consumed and decoding may go on; after a connection error it must not.
    package mutating func nextFrame(from buffer: inout ReceiveBuffer) throws(HTTP2FrameError) -> HTTP2Frame? {
        while true {
            let step = try buffer.withReadableBytes { bytes throws(HTTP2FrameError) in try self.step(bytes) }
            switch step {
            case .needMore:
                return nil
            case .consumed(let count):
                buffer.skip(count)
            case .frame(let frame, let length):
                buffer.skip(length)
                return frame
            case .lend(let lent, let streamID, let range, let length):
                buffer.skip(range.lowerBound)
                let bytes = lendsSmallPayloads ? buffer.lend(range.count) : buffer.take(range.count)
                buffer.skip(length - range.upperBound)
                return lent.frame(streamID: streamID, bytes: bytes)
            case .streamError(let error, let length):
                buffer.skip(length)
                throw error
            }
        }
    }

    private mutating func step(_ bytes: UnsafeRawBufferPointer) throws(HTTP2FrameError) -> Step {
        if case .preface(let matched) = phase {
            let preface = HTTP2ConnectionPreface.bytes
            let count = min(bytes.count, preface.count - matched)
            guard count > 0 else { return .needMore }
            for index in 0..<count where bytes[index] != preface[matched + index] { throw .invalidPreface }
            phase = matched + count == preface.count ? .firstFrame : .preface(matched: matched + count)
            return .consumed(count)
        }
        let headerLength = HTTP2FrameDecoder.frameHeaderLength
        guard bytes.count >= headerLength else { return .needMore }
        let length = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        let rawType = bytes[3]
        let flags = HTTP2FrameFlags(rawValue: bytes[4])
        let streamID = bytes.uint31(at: 5)
        guard length <= maxFrameSize else { throw .frameTooLarge(type: rawType, length: length, limit: maxFrameSize) }
        let type = HTTP2FrameType(rawValue: rawType)
        if case .firstFrame = phase {
            guard type == .settings, !flags.contains(.ack) else { throw .firstFrameNotSettings(type: rawType) }
        }
        if let open = openBlock, type != .continuation || streamID != open.streamID {
            throw .expectedContinuation(streamID: open.streamID, type: rawType, onStream: streamID)
        }
        let frameLength = headerLength + length
        guard let type else {
            // An extension frame: skipped whole (§5.5), once it is all there.
            return bytes.count >= frameLength ? .consumed(frameLength) : .needMore
        }
        try checkHeader(type, length: length, flags: flags, streamID: streamID)
        guard bytes.count >= frameLength else { return .needMore }
        phase = .frames
        let payload = UnsafeRawBufferPointer(rebasing: bytes[headerLength..<frameLength])
        return try frame(type, flags: flags, streamID: streamID, payload: payload)
    }

    /// The rules that the frame header alone decides (§6): the stream identifier, lengths that are
    /// fixed or too short for the mandatory fields, who may receive PUSH_PROMISE, and CONTINUATION
    /// only inside a block. PRIORITY's length is a stream error, checked with the payload.
    private func checkHeader(
        _ type: HTTP2FrameType, length: Int, flags: HTTP2FrameFlags, streamID: UInt32
    ) throws(HTTP2FrameError) {
        switch type.requiredStream {
        case .zero: guard streamID == 0 else { throw .streamIDForbidden(type, streamID: streamID) }
        case .nonZero: guard streamID != 0 else { throw .streamIDRequired(type) }
        case .any: break
        }
        let valid: Bool
        switch type {
        case .data: valid = length >= (flags.contains(.padded) ? 1 : 0)
        case .headers:
            valid = length >= (flags.contains(.padded) ? 1 : 0) + (flags.contains(.priority) ? 5 : 0)
        case .pushPromise:
            switch role {
            case .client(pushEnabled: true): break
            case .client(pushEnabled: false), .server: throw .unexpectedPushPromise(streamID: streamID)
            }
            valid = length >= (flags.contains(.padded) ? 1 : 0) + 4
        case .priority, .continuation: valid = true
        case .rstStream, .windowUpdate: valid = length == 4
        case .ping: valid = length == 8
        case .settings: valid = flags.contains(.ack) ? length == 0 : length % 6 == 0
        case .goAway: valid = length >= 8
        }
        guard valid else { throw .invalidLength(type, length: length, streamID: streamID) }
        if type == .continuation {
            guard let open = openBlock else { throw .unexpectedContinuation(streamID: streamID) }
            guard open.size + HTTP2FrameDecoder.frameHeaderLength + length <= maxHeaderBlockSize else {
                throw .headerBlockTooLarge(limit: maxHeaderBlockSize)
            }
        }
    }

    /// The frame in a complete payload whose header passed ``checkHeader``.
    private mutating func frame(
        _ type: HTTP2FrameType, flags: HTTP2FrameFlags, streamID: UInt32, payload: UnsafeRawBufferPointer
    ) throws(HTTP2FrameError) -> Step {
        let headerLength = HTTP2FrameDecoder.frameHeaderLength
        let length = headerLength + payload.count
        func single(_ payload: HTTP2Frame.Payload) -> Step {
            .frame(HTTP2Frame(streamID: streamID, payload: payload), length: length)
        }
        switch type {
        case .data:
            let (range, padding) = try unpad(type, flags: flags, payload: payload, fixed: 0)
            let lent = Lent.data(endStream: flags.contains(.endStream), padding: padding)
            return .lend(lent, streamID: streamID, range: range.shifted(by: headerLength), length: length)
        case .headers:
            let fixed = flags.contains(.priority) ? 5 : 0
            var (range, padding) = try unpad(type, flags: flags, payload: payload, fixed: fixed)
            var priority: HTTP2Priority?
            if flags.contains(.priority) {
                priority = HTTP2Priority(payload, at: range.lowerBound)
                range = range.lowerBound + 5..<range.upperBound
                guard priority?.dependency != streamID else { throw .selfDependency(type, streamID: streamID) }
            }
            let start = BlockStart.headers(endStream: flags.contains(.endStream), priority: priority, padding: padding)
            return try block(start, flags: flags, streamID: streamID, payload: payload, fragment: range)
        case .pushPromise:
            let (range, padding) = try unpad(type, flags: flags, payload: payload, fixed: 4)
            let start = BlockStart.pushPromise(promisedStreamID: payload.uint31(at: range.lowerBound), padding: padding)
            let fragment = range.lowerBound + 4..<range.upperBound
            return try block(start, flags: flags, streamID: streamID, payload: payload, fragment: fragment)
        case .continuation:
            guard var open = openBlock else { throw .unexpectedContinuation(streamID: streamID) }
            open.fragments.append(contentsOf: payload)
            open.size += length
            guard flags.contains(.endHeaders) else {
                openBlock = open
                return .consumed(length)
            }
            openBlock = nil
            return .frame(open.start.frame(streamID: streamID, block: ByteBuffer(open.fragments)), length: length)
        case .priority:
            guard payload.count == 5 else {
                return .streamError(.invalidLength(type, length: payload.count, streamID: streamID), length: length)
            }
            let priority = HTTP2Priority(payload, at: 0)
            guard priority.dependency != streamID else {
                return .streamError(.selfDependency(type, streamID: streamID), length: length)
            }
            return single(.priority(priority))
        case .rstStream:
            return single(.rstStream(HTTP2ErrorCode(rawValue: payload.uint32(at: 0))))
        case .settings:
            guard !flags.contains(.ack) else { return single(.settingsAck) }
            var settings: [HTTP2Setting] = []
            settings.reserveCapacity(payload.count / 6)
            for offset in stride(from: 0, to: payload.count, by: 6) {
                // Unknown identifiers are ignored (§6.5.2).
                guard
                    let identifier = HTTP2Setting.Identifier(
                        rawValue: UInt16(payload[offset]) << 8 | UInt16(payload[offset + 1]))
                else { continue }
                settings.append(try HTTP2Setting(identifier, value: payload.uint32(at: offset + 2), role: role))
            }
            return single(.settings(settings))
        case .ping:
            let value = UInt64(payload.uint32(at: 0)) << 32 | UInt64(payload.uint32(at: 4))
            return single(.ping(value, ack: flags.contains(.ack)))
        case .goAway:
            let debugData = ByteBuffer(Array(payload[8...]))
            return single(
                .goAway(
                    lastStreamID: payload.uint31(at: 0), HTTP2ErrorCode(rawValue: payload.uint32(at: 4)),
                    debugData: debugData))
        case .windowUpdate:
            let increment = payload.uint31(at: 0)
            guard increment != 0 else {
                let error = HTTP2FrameError.zeroWindowIncrement(streamID: streamID)
                guard streamID != 0 else { throw error }
                return .streamError(error, length: length)
            }
            return single(.windowUpdate(increment: increment))
        }
    }

    /// The start of a header block: handed over whole at END_HEADERS, or kept open for
    /// CONTINUATION frames.
    private mutating func block(
        _ start: BlockStart, flags: HTTP2FrameFlags, streamID: UInt32, payload: UnsafeRawBufferPointer,
        fragment: Range<Int>
    ) throws(HTTP2FrameError) -> Step {
        let headerLength = HTTP2FrameDecoder.frameHeaderLength
        guard fragment.count <= maxHeaderBlockSize else { throw .headerBlockTooLarge(limit: maxHeaderBlockSize) }
        guard flags.contains(.endHeaders) else {
            let fragments = Array(payload[fragment])
            openBlock = OpenBlock(streamID: streamID, start: start, fragments: fragments, size: fragments.count)
            return .consumed(headerLength + payload.count)
        }
        return .lend(
            .block(start), streamID: streamID, range: fragment.shifted(by: headerLength),
            length: headerLength + payload.count)
    }

    /// The part of a payload after the Pad Length octet and `fixed` octets of mandatory fields,
    /// and before the padding; and the Pad Length, if the PADDED flag is set (§6.1).
    private func unpad(
        _ type: HTTP2FrameType, flags: HTTP2FrameFlags, payload: UnsafeRawBufferPointer, fixed: Int
    ) throws(HTTP2FrameError) -> (Range<Int>, UInt8?) {
        guard flags.contains(.padded) else { return (0..<payload.count, nil) }
        let padLength = payload[0]
        let available = payload.count - 1 - fixed
        guard Int(padLength) <= available else {
            throw .paddingTooLong(type, padLength: Int(padLength), available: available)
        }
        return (1..<payload.count - Int(padLength), padLength)
    }
}

extension HTTP2Priority {
    /// The 5 octets of a priority (§6.3) at `offset`.
    fileprivate init(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        self.init(
            exclusive: bytes[offset] & 0x80 != 0, dependency: bytes.uint31(at: offset), weight: bytes[offset + 4])
    }
}

extension UnsafeRawBufferPointer {
    /// The big-endian 32-bit value at `offset`.
    fileprivate func uint32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }

    /// The 31-bit value at `offset`, without the reserved (or exclusive) bit above it.
    fileprivate func uint31(at offset: Int) -> UInt32 {
        uint32(at: offset) & 0x7FFF_FFFF
    }
}

extension Range<Int> {
    fileprivate func shifted(by offset: Int) -> Range<Int> {
        lowerBound + offset..<upperBound + offset
    }
}
