/// The frame opcodes RFC 6455 defines (§5.2). The others (3–7 and 0xB–0xF) are reserved for
/// extensions, none of which Courier negotiates, so a frame that carries one is a protocol error.
package enum WebSocketOpcode: UInt8, Hashable, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    /// Control frames (close, ping, pong) have the high bit of the opcode set (§5.5): they may
    /// arrive between the fragments of a message, must not be fragmented themselves, and carry
    /// at most 125 octets.
    package var isControl: Bool { rawValue & 0x8 != 0 }
}
