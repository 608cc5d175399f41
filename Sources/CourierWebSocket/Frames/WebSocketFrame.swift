package import CourierCore

/// One frame as the message layer sees it (RFC 6455 §5.2): the payload already unmasked, the
/// reserved bits reduced to the one an extension may use.
package struct WebSocketFrame: Hashable, Sendable {
    /// The last frame of its message (always true for control frames).
    package var fin: Bool
    /// RSV1: with permessage-deflate negotiated, the message this frame begins is compressed
    /// (RFC 7692 §6). Only ever set on the first frame of a data message.
    package var compressed: Bool
    package var opcode: WebSocketOpcode
    package var payload: ByteBuffer

    package init(fin: Bool = true, compressed: Bool = false, opcode: WebSocketOpcode, payload: ByteBuffer) {
        self.fin = fin
        self.compressed = compressed
        self.opcode = opcode
        self.payload = payload
    }
}
