package import CourierCore

/// One HTTP/2 frame as the connection sees it (RFC 9113 §6): its stream and what it carries.
///
/// A header block arrives as one HEADERS or PUSH_PROMISE frame here even when the peer split it
/// over CONTINUATION frames: the decoder joins the fragments and hands over the block once
/// END_HEADERS arrives, and the encoder splits a block that is larger than the peer's
/// SETTINGS_MAX_FRAME_SIZE. So CONTINUATION has no case of its own.
///
/// Padding is kept as its length, not its bytes (they carry nothing), because DATA padding counts
/// against flow control (§6.9.1); reserved bits and flags a type does not define are dropped.
package struct HTTP2Frame: Hashable, Sendable {
    /// The stream, 0 for frames about the whole connection. 31 bits: the reserved bit is gone.
    package var streamID: UInt32
    package var payload: Payload

    package init(streamID: UInt32, payload: Payload) {
        self.streamID = streamID
        self.payload = payload
    }

    package enum Payload: Hashable, Sendable {
        /// DATA (§6.1). `padding` is the Pad Length field, nil when the PADDED flag is not set.
        case data(ByteBuffer, endStream: Bool, padding: UInt8? = nil)
        /// HEADERS (§6.2) with its complete header block, still HPACK-encoded.
        case headers(ByteBuffer, endStream: Bool, priority: HTTP2Priority? = nil, padding: UInt8? = nil)
        /// PRIORITY (§6.3): deprecated by RFC 9113 §5.3.2 but still checked and delivered.
        case priority(HTTP2Priority)
        /// RST_STREAM (§6.4).
        case rstStream(HTTP2ErrorCode)
        /// SETTINGS (§6.5) without ACK: the parameters the decoder knows, in the order sent.
        case settings([HTTP2Setting])
        /// SETTINGS with ACK, which is always empty.
        case settingsAck
        /// PUSH_PROMISE (§6.6) with its complete header block.
        case pushPromise(promisedStreamID: UInt32, ByteBuffer, padding: UInt8? = nil)
        /// PING (§6.7): 8 opaque octets, big-endian.
        case ping(UInt64, ack: Bool)
        /// GOAWAY (§6.8).
        case goAway(lastStreamID: UInt32, HTTP2ErrorCode, debugData: ByteBuffer)
        /// WINDOW_UPDATE (§6.9): 1...2^31 - 1.
        case windowUpdate(increment: UInt32)
    }

    /// The frame type of the first frame this becomes on the wire.
    package var type: HTTP2FrameType {
        switch payload {
        case .data: .data
        case .headers: .headers
        case .priority: .priority
        case .rstStream: .rstStream
        case .settings, .settingsAck: .settings
        case .pushPromise: .pushPromise
        case .ping: .ping
        case .goAway: .goAway
        case .windowUpdate: .windowUpdate
        }
    }
}

/// A stream's priority as HEADERS and PRIORITY frames carry it (RFC 9113 §5.3.2, §6.3). RFC 9113
/// deprecates the scheme; the fields are kept so that they can be checked and re-encoded.
package struct HTTP2Priority: Hashable, Sendable {
    package var exclusive: Bool
    /// The stream this one depends on (31 bits).
    package var dependency: UInt32
    /// The weight minus one, as on the wire (0...255 for weights 1...256).
    package var weight: UInt8

    package init(exclusive: Bool, dependency: UInt32, weight: UInt8) {
        self.exclusive = exclusive
        self.dependency = dependency
        self.weight = weight
    }
}
