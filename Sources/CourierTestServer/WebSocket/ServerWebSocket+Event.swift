public import CourierWebSocket

extension ServerWebSocket {
    /// What the client sent, as ``ServerWebSocket/receive()`` reports it.
    public enum Event: Sendable, Hashable {
        /// A whole message: fragments joined, decompressed, text checked to be UTF-8.
        case message(WebSocketMessage)
        /// A ping, already answered with a pong.
        case ping([UInt8])
        case pong([UInt8])
        /// The client's close frame: nil `code` for an empty one. The server has answered it and
        /// closed TCP; every later ``ServerWebSocket/receive()`` returns nil.
        case close(code: WebSocketCloseCode?, reason: String)
    }
}
