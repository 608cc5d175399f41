/// Why received bytes are not valid HTTP/2 framing (RFC 9113 §4–§6), with the error code to
/// answer with and whether it ends the connection or only one stream.
///
/// A connection error is answered with GOAWAY carrying ``code`` and then closing (§5.4.1); a
/// stream error with RST_STREAM on ``scope``'s stream, and the connection goes on (§5.4.2). After
/// a connection error the decoder must not be used again; after a stream error it has consumed
/// the frame and decodes the next one.
package enum HTTP2FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 24 octets a server reads first are not the client preface (§3.4).
    case invalidPreface
    /// The first frame after the preface is not a SETTINGS frame without ACK (§3.4).
    case firstFrameNotSettings(type: UInt8)
    /// A frame is longer than our SETTINGS_MAX_FRAME_SIZE (§4.2).
    case frameTooLarge(type: UInt8, length: Int, limit: Int)
    /// A frame's length is wrong for its type: a fixed-length frame of another length, a SETTINGS
    /// frame that is not a multiple of 6 or an ACK that is not empty, or a frame too short for its
    /// mandatory fields (§4.2, §6).
    case invalidLength(HTTP2FrameType, length: Int, streamID: UInt32)
    /// A frame that belongs to a stream arrived on stream 0 (§6).
    case streamIDRequired(HTTP2FrameType)
    /// A frame that belongs to the connection arrived on a stream (§6).
    case streamIDForbidden(HTTP2FrameType, streamID: UInt32)
    /// The Pad Length is as long as what follows it in the frame, or longer (§6.1, §6.2, §6.6).
    case paddingTooLong(HTTP2FrameType, padLength: Int, available: Int)
    /// A WINDOW_UPDATE with an increment of 0 (§6.9): a stream error on a stream, a connection
    /// error on stream 0.
    case zeroWindowIncrement(streamID: UInt32)
    /// A HEADERS or PRIORITY frame makes a stream depend on itself (§5.3.1). A stream error on
    /// PRIORITY; on HEADERS a connection error, because a header block that is never decoded
    /// leaves the peer's HPACK context out of step with ours (§4.3).
    case selfDependency(HTTP2FrameType, streamID: UInt32)
    /// A SETTINGS value outside what RFC 9113 allows (§6.5.2), or ENABLE_PUSH 1 sent to a client.
    case invalidSetting(HTTP2Setting.Identifier, value: UInt32)
    /// A PUSH_PROMISE to a server, or to a client that disabled push (§6.6, §8.4).
    case unexpectedPushPromise(streamID: UInt32)
    /// A header block is open (HEADERS or PUSH_PROMISE without END_HEADERS on `streamID`) and the
    /// next frame is not a CONTINUATION on that stream (§6.10).
    case expectedContinuation(streamID: UInt32, type: UInt8, onStream: UInt32)
    /// A CONTINUATION with no header block open (§6.10).
    case unexpectedContinuation(streamID: UInt32)
    /// The frames of one header block (fragments and the 9-octet header of each CONTINUATION) add
    /// up to more than the decoder accepts: a CONTINUATION flood, of data or of empty frames. RFC 9113 leaves the answer open (§10.5.1); ENHANCE_YOUR_CALM says what happened.
    case headerBlockTooLarge(limit: Int)

    /// Which error ends what: a connection error, or a stream error on one stream.
    package enum Scope: Hashable, Sendable {
        case connection
        case stream(UInt32)
    }

    package var scope: Scope {
        switch self {
        case .invalidLength(.priority, _, let streamID) where streamID != 0: .stream(streamID)
        case .zeroWindowIncrement(let streamID) where streamID != 0: .stream(streamID)
        case .selfDependency(.priority, let streamID): .stream(streamID)
        case .invalidPreface, .firstFrameNotSettings, .frameTooLarge, .invalidLength, .streamIDRequired,
            .streamIDForbidden, .paddingTooLong, .zeroWindowIncrement, .selfDependency, .invalidSetting,
            .unexpectedPushPromise, .expectedContinuation, .unexpectedContinuation, .headerBlockTooLarge:
            .connection
        }
    }

    /// The code for the GOAWAY or RST_STREAM frame that answers the error.
    package var code: HTTP2ErrorCode {
        switch self {
        case .frameTooLarge, .invalidLength: .frameSizeError
        case .invalidSetting(.initialWindowSize, _): .flowControlError
        case .headerBlockTooLarge: .enhanceYourCalm
        case .invalidPreface, .firstFrameNotSettings, .streamIDRequired, .streamIDForbidden, .paddingTooLong,
            .zeroWindowIncrement, .selfDependency, .invalidSetting, .unexpectedPushPromise, .expectedContinuation,
            .unexpectedContinuation:
            .protocolError
        }
    }

    package var description: String {
        switch self {
        case .invalidPreface: "the connection does not begin with the HTTP/2 client preface"
        case .firstFrameNotSettings(let type): "the first frame is of type \(type), not SETTINGS"
        case .frameTooLarge(let type, let length, let limit):
            "a frame of type \(type) is \(length) octets long, over SETTINGS_MAX_FRAME_SIZE \(limit)"
        case .invalidLength(let type, let length, let streamID):
            "a \(type) frame on stream \(streamID) has an invalid length of \(length) octets"
        case .streamIDRequired(let type): "a \(type) frame is on stream 0"
        case .streamIDForbidden(let type, let streamID): "a \(type) frame is on stream \(streamID), not 0"
        case .paddingTooLong(let type, let padLength, let available):
            "a \(type) frame has \(padLength) octets of padding in \(available)"
        case .zeroWindowIncrement(let streamID): "a WINDOW_UPDATE on stream \(streamID) has an increment of 0"
        case .selfDependency(let type, let streamID): "a \(type) frame makes stream \(streamID) depend on itself"
        case .invalidSetting(let identifier, let value):
            "SETTINGS parameter \(identifier) has an invalid value \(value)"
        case .unexpectedPushPromise(let streamID): "a PUSH_PROMISE on stream \(streamID) was not allowed"
        case .expectedContinuation(let streamID, let type, let onStream):
            "a frame of type \(type) on stream \(onStream) interrupts the header block of stream \(streamID)"
        case .unexpectedContinuation(let streamID): "a CONTINUATION on stream \(streamID) follows no header block"
        case .headerBlockTooLarge(let limit): "a header block is larger than \(limit) octets"
        }
    }
}
