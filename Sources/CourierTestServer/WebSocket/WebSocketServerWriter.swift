import CourierCore
import CourierTransport
import CourierWebSocket

/// Writes a server WebSocket's frames, unmasked (RFC 6455 §5.1), one write at a time whichever
/// task asks: the session sending, a ping flood, ``ServerWebSocket/receive()`` answering a ping.
///
/// A message is encoded (compressed, with permessage-deflate) under the same lock as it is
/// written, so that messages reach the client in the order the compressor saw them, which context
/// takeover requires. Writes run on the stream's reactor, as every use of the stream must.
///
/// `@unchecked Sendable` is safe because `encoder`, `closeSent` and `outputShut` are touched only
/// while holding `lock`, which serialises every writer.
final class WebSocketServerWriter: @unchecked Sendable {
    private let stream: any ByteStream
    private let lock = AsyncLock()
    private var encoder: WebSocketMessageEncoder
    /// The close frame is out: no message, ping or pong may follow it (§5.5.1).
    private var closeSent = false
    /// The sending direction is shut: nothing at all may follow.
    private var outputShut = false

    init(stream: any ByteStream, deflate: PerMessageDeflateParameters?) {
        self.stream = stream
        self.encoder = WebSocketMessageEncoder(role: .server, deflate: deflate)
    }

    func send(_ message: WebSocketMessage) async throws {
        try await write { $0.encode(message) }
    }

    /// A ping or a pong; the caller checked the payload's length.
    func sendControl(_ opcode: WebSocketOpcode, payload: [UInt8]) async throws {
        try await write { $0.encodeControl(opcode, payload: ByteBuffer(payload)) }
    }

    /// Bytes as they are, allowed after the close frame too (a hostile server may send anything).
    func sendRaw(_ bytes: [UInt8]) async throws {
        try await write(afterClose: true) { _ in bytes }
    }

    /// The close frame; nothing but raw bytes may follow it.
    func sendClose(_ payload: WebSocketClosePayload) async throws {
        try await write(closing: true) { $0.encodeClose(payload) }
    }

    /// Stops sending: over TLS a `close_notify`, then a FIN. Waits for a write in progress to end.
    func shutdownOutput() async {
        await lock.acquire()
        defer { lock.release() }
        guard !outputShut else { return }
        outputShut = true
        closeSent = true
        let stream = self.stream
        await withTaskExecutorPreference(stream.reactor) { stream.shutdownOutput() }
    }

    private func write(
        afterClose: Bool = false, closing: Bool = false, _ encode: (inout WebSocketMessageEncoder) -> [UInt8]
    ) async throws {
        await lock.acquire()
        defer { lock.release() }
        guard !outputShut && (afterClose || !closeSent) else { throw ServerWebSocketError.closed }
        let bytes = ByteBuffer(encode(&encoder))
        if closing { closeSent = true }
        let stream = self.stream
        try await withTaskExecutorPreference(stream.reactor) { try await stream.write(bytes, deadline: nil) }
    }
}
