/// The error codes of RST_STREAM and GOAWAY frames (RFC 9113 §7).
///
/// A code the peer sends that is not in RFC 9113 stays `.unknown` with its value: §7 says it
/// must not trigger special behaviour, and may be treated as INTERNAL_ERROR, but a log should
/// still show what was sent.
package enum HTTP2ErrorCode: Hashable, Sendable, CustomStringConvertible {
    case noError
    case protocolError
    case internalError
    case flowControlError
    case settingsTimeout
    case streamClosed
    case frameSizeError
    case refusedStream
    case cancel
    case compressionError
    case connectError
    case enhanceYourCalm
    case inadequateSecurity
    case http11Required
    case unknown(UInt32)

    package init(rawValue: UInt32) {
        switch rawValue {
        case 0x0: self = .noError
        case 0x1: self = .protocolError
        case 0x2: self = .internalError
        case 0x3: self = .flowControlError
        case 0x4: self = .settingsTimeout
        case 0x5: self = .streamClosed
        case 0x6: self = .frameSizeError
        case 0x7: self = .refusedStream
        case 0x8: self = .cancel
        case 0x9: self = .compressionError
        case 0xA: self = .connectError
        case 0xB: self = .enhanceYourCalm
        case 0xC: self = .inadequateSecurity
        case 0xD: self = .http11Required
        default: self = .unknown(rawValue)
        }
    }

    package var rawValue: UInt32 {
        switch self {
        case .noError: 0x0
        case .protocolError: 0x1
        case .internalError: 0x2
        case .flowControlError: 0x3
        case .settingsTimeout: 0x4
        case .streamClosed: 0x5
        case .frameSizeError: 0x6
        case .refusedStream: 0x7
        case .cancel: 0x8
        case .compressionError: 0x9
        case .connectError: 0xA
        case .enhanceYourCalm: 0xB
        case .inadequateSecurity: 0xC
        case .http11Required: 0xD
        case .unknown(let value): value
        }
    }

    /// The name RFC 9113 §7 gives the code, as logs and error messages show it.
    package var description: String {
        switch self {
        case .noError: "NO_ERROR"
        case .protocolError: "PROTOCOL_ERROR"
        case .internalError: "INTERNAL_ERROR"
        case .flowControlError: "FLOW_CONTROL_ERROR"
        case .settingsTimeout: "SETTINGS_TIMEOUT"
        case .streamClosed: "STREAM_CLOSED"
        case .frameSizeError: "FRAME_SIZE_ERROR"
        case .refusedStream: "REFUSED_STREAM"
        case .cancel: "CANCEL"
        case .compressionError: "COMPRESSION_ERROR"
        case .connectError: "CONNECT_ERROR"
        case .enhanceYourCalm: "ENHANCE_YOUR_CALM"
        case .inadequateSecurity: "INADEQUATE_SECURITY"
        case .http11Required: "HTTP_1_1_REQUIRED"
        case .unknown(let value): "0x" + String(value, radix: 16)
        }
    }
}
