public import CourierWebSocket

/// Why a ``ServerWebSocket`` call failed.
public enum ServerWebSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The server's close frame is out, the connection failed or was aborted: no more messages.
    case closed
    /// A ping's payload is longer than the 125 octets a control frame carries (RFC 6455 §5.5).
    case controlPayloadTooLong(Int)
    /// The client broke the protocol; the server failed the connection with `code` (§7.1.7).
    case protocolViolation(code: WebSocketCloseCode, reason: String)

    public var description: String {
        switch self {
        case .closed: "the WebSocket is closed"
        case .controlPayloadTooLong(let count): "a ping carries \(count) octets, over 125"
        case .protocolViolation(let code, let reason): "the client broke the protocol (\(code)): \(reason)"
        }
    }
}
