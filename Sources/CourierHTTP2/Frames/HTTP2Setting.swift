/// One parameter of a SETTINGS frame (RFC 9113 §6.5.2, RFC 8441 §3), its value already checked.
///
/// The decoder builds these only from values the RFCs allow (ENABLE_PUSH and ENABLE_CONNECT_PROTOCOL 0 or 1,
/// INITIAL_WINDOW_SIZE at most 2^31 - 1, MAX_FRAME_SIZE within 16384...16777215) and drops
/// parameters it does not know, as §6.5.2 requires, so a connection applies them without checking
/// again.
package enum HTTP2Setting: Hashable, Sendable {
    case headerTableSize(UInt32)
    case enablePush(Bool)
    case maxConcurrentStreams(UInt32)
    case initialWindowSize(UInt32)
    case maxFrameSize(UInt32)
    case maxHeaderListSize(UInt32)
    /// The server accepts extended CONNECT (RFC 8441): a WebSocket may open as an HTTP/2 stream.
    case enableConnectProtocol(Bool)

    /// The identifiers of the parameters RFC 9113 and RFC 8441 define.
    package enum Identifier: UInt16, Hashable, Sendable, CaseIterable {
        case headerTableSize = 0x1
        case enablePush = 0x2
        case maxConcurrentStreams = 0x3
        case initialWindowSize = 0x4
        case maxFrameSize = 0x5
        case maxHeaderListSize = 0x6
        case enableConnectProtocol = 0x8
    }

    /// The largest flow-control window (RFC 9113 §6.9.1), and so the largest INITIAL_WINDOW_SIZE.
    package static let maxWindowSize: UInt32 = (1 << 31) - 1
    /// The range of SETTINGS_MAX_FRAME_SIZE (RFC 9113 §6.5.2); the lower bound is also the value a
    /// connection starts with.
    package static let frameSizeRange: ClosedRange<UInt32> = 16_384...16_777_215

    /// The parameter for an identifier and a value from the wire.
    ///
    /// - Throws: `.invalidSetting` for a value RFC 9113 forbids. A client also refuses an
    ///   ENABLE_PUSH of 1, which a server must never send (§6.5.2).
    init(_ identifier: Identifier, value: UInt32, role: HTTP2FrameDecoder.Role) throws(HTTP2FrameError) {
        switch identifier {
        case .headerTableSize: self = .headerTableSize(value)
        case .enablePush:
            switch (value, role) {
            case (0, _): self = .enablePush(false)
            case (1, .server): self = .enablePush(true)
            case (_, .client), (_, .server): throw .invalidSetting(identifier, value: value)
            }
        case .maxConcurrentStreams: self = .maxConcurrentStreams(value)
        case .initialWindowSize:
            guard value <= HTTP2Setting.maxWindowSize else { throw .invalidSetting(identifier, value: value) }
            self = .initialWindowSize(value)
        case .maxFrameSize:
            guard HTTP2Setting.frameSizeRange.contains(value) else { throw .invalidSetting(identifier, value: value) }
            self = .maxFrameSize(value)
        case .maxHeaderListSize: self = .maxHeaderListSize(value)
        case .enableConnectProtocol:
            guard value <= 1 else { throw .invalidSetting(identifier, value: value) }
            self = .enableConnectProtocol(value == 1)
        }
    }

    package var identifier: Identifier {
        switch self {
        case .headerTableSize: .headerTableSize
        case .enablePush: .enablePush
        case .maxConcurrentStreams: .maxConcurrentStreams
        case .initialWindowSize: .initialWindowSize
        case .maxFrameSize: .maxFrameSize
        case .maxHeaderListSize: .maxHeaderListSize
        case .enableConnectProtocol: .enableConnectProtocol
        }
    }

    /// The value as it goes on the wire.
    package var value: UInt32 {
        switch self {
        case .headerTableSize(let value), .maxConcurrentStreams(let value), .initialWindowSize(let value),
            .maxFrameSize(let value), .maxHeaderListSize(let value):
            value
        case .enablePush(let enabled), .enableConnectProtocol(let enabled): enabled ? 1 : 0
        }
    }
}
