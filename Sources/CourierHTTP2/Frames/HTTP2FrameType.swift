/// The frame types RFC 9113 §6 defines, by their type octet.
///
/// A frame of any other type is an extension the codec does not implement: the decoder skips it,
/// as RFC 9113 §4.1 and §5.5 require, so it never reaches this enum.
package enum HTTP2FrameType: UInt8, Hashable, Sendable, CaseIterable {
    case data = 0x0
    case headers = 0x1
    case priority = 0x2
    case rstStream = 0x3
    case settings = 0x4
    case pushPromise = 0x5
    case ping = 0x6
    case goAway = 0x7
    case windowUpdate = 0x8
    case continuation = 0x9

    /// Whether frames of this type belong to a stream (a non-zero stream identifier) or to the
    /// connection (stream 0). WINDOW_UPDATE is the one type that may be on either (§6.9), so it
    /// has no entry here.
    var requiredStream: RequiredStream {
        switch self {
        case .data, .headers, .priority, .rstStream, .pushPromise, .continuation: .nonZero
        case .settings, .ping, .goAway: .zero
        case .windowUpdate: .any
        }
    }

    enum RequiredStream {
        case zero
        case nonZero
        case any
    }
}

/// The flag bits of a frame header that RFC 9113 §6 gives a meaning. A flag a type does not
/// define is ignored on receipt and never sent (§4.1).
package struct HTTP2FrameFlags: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8

    package init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// ACK on SETTINGS and PING; END_STREAM on DATA and HEADERS. Both are bit 0.
    package static let ack = HTTP2FrameFlags(rawValue: 0x1)
    package static let endStream = HTTP2FrameFlags(rawValue: 0x1)
    package static let endHeaders = HTTP2FrameFlags(rawValue: 0x4)
    package static let padded = HTTP2FrameFlags(rawValue: 0x8)
    package static let priority = HTTP2FrameFlags(rawValue: 0x20)
}
