import CourierCore

/// Writes frames (RFC 9113 §4, §6) into a byte array that the caller reuses between writes.
///
/// Role-neutral, like the decoder. A header block larger than the peer's
/// SETTINGS_MAX_FRAME_SIZE is split into a HEADERS or PUSH_PROMISE frame and CONTINUATION frames
/// on the same stream, written back to back so that nothing can come between them (§6.10). Other
/// frames must fit in one frame: a DATA payload is cut to the frame size (and flow-control
/// windows) by the caller. Padding octets are written as zeros (§6.1).
package struct HTTP2FrameEncoder: Sendable {
    /// The peer's SETTINGS_MAX_FRAME_SIZE: the initial 16384 until its SETTINGS say otherwise.
    package var maxFrameSize: Int

    package init(maxFrameSize: Int = Int(HTTP2Setting.frameSizeRange.lowerBound)) {
        self.maxFrameSize = maxFrameSize
    }

    /// Appends `frame` (and CONTINUATION frames, for a large header block) to `buffer`.
    package func encode(_ frame: HTTP2Frame, into buffer: inout [UInt8]) {
        let streamID = frame.streamID
        switch frame.payload {
        case .data(let data, let endStream, let padding):
            let flags: HTTP2FrameFlags = endStream ? .endStream : []
            writePadded(
                .data, flags: flags, streamID: streamID, padding: padding, fields: [], body: data, into: &buffer)
        case .headers(let block, let endStream, let priority, let padding):
            var flags: HTTP2FrameFlags = endStream ? .endStream : []
            var fields: [UInt8] = []
            if let priority {
                flags.insert(.priority)
                fields = priority.bytes
            }
            writeBlock(
                .headers, flags: flags, streamID: streamID, padding: padding, fields: fields, block: block,
                into: &buffer)
        case .priority(let priority):
            writeFrame(.priority, flags: [], streamID: streamID, payload: priority.bytes, into: &buffer)
        case .rstStream(let code):
            writeHeader(length: 4, type: .rstStream, flags: [], streamID: streamID, into: &buffer)
            buffer.append(bigEndian: code.rawValue)
        case .settings(let settings):
            writeHeader(length: settings.count * 6, type: .settings, flags: [], streamID: streamID, into: &buffer)
            for setting in settings {
                let identifier = setting.identifier.rawValue
                buffer.append(UInt8(identifier >> 8))
                buffer.append(UInt8(truncatingIfNeeded: identifier))
                buffer.append(bigEndian: setting.value)
            }
        case .settingsAck:
            writeHeader(length: 0, type: .settings, flags: .ack, streamID: streamID, into: &buffer)
        case .pushPromise(let promisedStreamID, let block, let padding):
            writeBlock(
                .pushPromise, flags: [], streamID: streamID, padding: padding, fields: promisedStreamID.bytes,
                block: block, into: &buffer)
        case .ping(let value, let ack):
            writeHeader(length: 8, type: .ping, flags: ack ? .ack : [], streamID: streamID, into: &buffer)
            buffer.append(bigEndian: UInt32(truncatingIfNeeded: value >> 32))
            buffer.append(bigEndian: UInt32(truncatingIfNeeded: value))
        case .goAway(let lastStreamID, let code, let debugData):
            writeHeader(length: 8 + debugData.count, type: .goAway, flags: [], streamID: streamID, into: &buffer)
            buffer.append(bigEndian: lastStreamID)
            buffer.append(bigEndian: code.rawValue)
            buffer.append(contentsOf: debugData)
        case .windowUpdate(let increment):
            writeHeader(length: 4, type: .windowUpdate, flags: [], streamID: streamID, into: &buffer)
            buffer.append(bigEndian: increment)
        }
    }

    /// A header block: as much as fits in the first frame after its fields and padding, the rest
    /// in CONTINUATION frames; END_HEADERS on the last.
    private func writeBlock(
        _ type: HTTP2FrameType, flags: HTTP2FrameFlags, streamID: UInt32, padding: UInt8?, fields: [UInt8],
        block: ByteBuffer, into buffer: inout [UInt8]
    ) {
        let overhead = fields.count + (padding.map { 1 + Int($0) } ?? 0)
        precondition(overhead < maxFrameSize, "the fields and padding of a \(type) frame exceed the frame size")
        var first = min(block.count, maxFrameSize - overhead)
        let last = first == block.count
        writePadded(
            type, flags: last ? flags.union(.endHeaders) : flags, streamID: streamID, padding: padding, fields: fields,
            body: block.slice(from: 0, count: first), into: &buffer)
        while first < block.count {
            let count = min(block.count - first, maxFrameSize)
            let end = first + count == block.count
            writeFrame(
                .continuation, flags: end ? .endHeaders : [], streamID: streamID,
                payload: block.slice(from: first, count: count), into: &buffer)
            first += count
        }
    }

    /// A frame with an optional Pad Length, fixed fields, a body and zeros for padding.
    private func writePadded(
        _ type: HTTP2FrameType, flags: HTTP2FrameFlags, streamID: UInt32, padding: UInt8?, fields: [UInt8],
        body: ByteBuffer, into buffer: inout [UInt8]
    ) {
        let padded = padding.map { 1 + Int($0) } ?? 0
        let length = padded + fields.count + body.count
        precondition(length <= maxFrameSize, "a \(type) frame of \(length) octets exceeds the frame size")
        writeHeader(
            length: length, type: type, flags: padding == nil ? flags : flags.union(.padded), streamID: streamID,
            into: &buffer)
        if let padding { buffer.append(padding) }
        buffer.append(contentsOf: fields)
        // Through the bytes, not the collection: element by element, a debug build spends seconds
        // on a few MiB of DATA.
        body.withUnsafeBytes { buffer.append(contentsOf: $0) }
        if let padding { buffer.append(contentsOf: repeatElement(0, count: Int(padding))) }
    }

    private func writeFrame(
        _ type: HTTP2FrameType, flags: HTTP2FrameFlags, streamID: UInt32, payload: some Collection<UInt8>,
        into buffer: inout [UInt8]
    ) {
        writeHeader(length: payload.count, type: type, flags: flags, streamID: streamID, into: &buffer)
        buffer.append(contentsOf: payload)
    }

    /// The 9-octet frame header (§4.1), the reserved bit clear.
    private func writeHeader(
        length: Int, type: HTTP2FrameType, flags: HTTP2FrameFlags, streamID: UInt32, into buffer: inout [UInt8]
    ) {
        precondition(length <= maxFrameSize, "a \(type) frame of \(length) octets exceeds the frame size")
        buffer.append(UInt8(truncatingIfNeeded: length >> 16))
        buffer.append(UInt8(truncatingIfNeeded: length >> 8))
        buffer.append(UInt8(truncatingIfNeeded: length))
        buffer.append(type.rawValue)
        buffer.append(flags.rawValue)
        buffer.append(bigEndian: streamID & 0x7FFF_FFFF)
    }
}

extension HTTP2Priority {
    /// The 5 octets of §6.3.
    fileprivate var bytes: [UInt8] {
        var bytes = (dependency & 0x7FFF_FFFF | (exclusive ? 0x8000_0000 : 0)).bytes
        bytes.append(weight)
        return bytes
    }
}

extension UInt32 {
    /// Big-endian, for the fixed fields that precede a frame's body.
    fileprivate var bytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.append(bigEndian: self)
        return bytes
    }
}

extension [UInt8] {
    /// Appends `value` big-endian, in place: every frame header carries one, and an array of
    /// four octets per header was an allocation per frame.
    fileprivate mutating func append(bigEndian value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
