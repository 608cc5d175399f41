import CourierCore
import CourierTransport
import CourierWebSocket

/// Reads a server WebSocket's incoming side: the client's frames (which must be masked, RFC 6455
/// §5.1) from the bytes left over after the handshake and then from the stream, assembled into
/// messages and control events.
///
/// `@unchecked Sendable` is safe because `buffer` and `assembler` are touched only by the task
/// holding `lock` (``acquire()``), which serialises every reader.
final class WebSocketServerReader: @unchecked Sendable {
    private let stream: any ByteStream
    private var buffer: ReceiveBuffer
    private let decoder: WebSocketFrameDecoder
    private var assembler: WebSocketMessageAssembler
    private let lock = AsyncLock()

    /// `buffer` holds what the client sent after its handshake request and the server already read.
    init(stream: any ByteStream, buffer: ReceiveBuffer, deflate: PerMessageDeflateParameters?) {
        self.stream = stream
        self.buffer = buffer
        let limit = WebSocketMessageAssembler.defaultMaxMessageSize
        self.decoder = WebSocketFrameDecoder(
            role: .server, compressionNegotiated: deflate != nil, maxFramePayloadSize: limit)
        self.assembler = WebSocketMessageAssembler(role: .server, deflate: deflate, maxMessageSize: limit)
    }

    /// Waits until the calling task is the one reader, until ``release()``.
    func acquire() async {
        await lock.acquire()
    }

    func release() {
        lock.release()
    }

    /// The next message or control frame, reading as needed; nil at end of stream. The caller
    /// holds the lock.
    ///
    /// - Throws: `WebSocketProtocolError` when the client broke the protocol; the stream's error
    ///   when reading fails.
    func next() async throws -> WebSocketMessageAssembler.Event? {
        let stream = self.stream
        return try await withTaskExecutorPreference(stream.reactor) {
            while true {
                while let frame = try decoder.nextFrame(from: &buffer) {
                    if let event = try assembler.receive(frame) { return event }
                }
                guard try await stream.read(into: &buffer, deadline: nil) > 0 else { return nil }
            }
        }
    }
}
