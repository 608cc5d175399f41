/// A complete WebSocket message: all its fragments joined and, when the peer compressed it,
/// decompressed (RFC 6455 §5.6, RFC 7692).
///
/// ```swift
/// try await socket.send(.text("hello"))
/// for try await message in socket.messages {
///     switch message {
///     case .text(let text): print(text)
///     case .binary(let bytes): print(bytes.count, "octets")
///     }
/// }
/// ```
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message; received text has been checked to be valid UTF-8.
    case text(String)
    /// A binary message.
    case binary([UInt8])
}
