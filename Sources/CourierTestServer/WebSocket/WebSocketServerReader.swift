import CourierCore
import CourierTransport
import CourierWebSocket
import Synchronization

/// Reads a server WebSocket's incoming side: the client's frames (which must be masked, RFC 6455
/// §5.1) from the bytes left over after the handshake and then from the stream, assembled into
/// messages and control events.
///
/// `@unchecked Sendable` is safe because only the task holding the claim (``claim()``, an
/// atomic flag) touches `buffer` and `assembler`; a second reader is refused, not let in.
final class WebSocketServerReader: @unchecked Sendable {
    private let stream: any ByteStream
    private var buffer: ReceiveBuffer
    private let decoder: WebSocketFrameDecoder
    private var assembler: WebSocketMessageAssembler
    private let claimed = Atomic(false)

    /// `buffer` holds what the client sent after its handshake request and the server already read.
    init(stream: any ByteStream, buffer: ReceiveBuffer, deflate: PerMessageDeflateParameters?) {
        self.stream = stream
        self.buffer = buffer
        let limit = WebSocketMessageAssembler.defaultMaxMessageSize
        self.decoder = WebSocketFrameDecoder(
            role: .server, compressionNegotiated: deflate != nil, maxFramePayloadSize: limit)
        self.assembler = WebSocketMessageAssembler(role: .server, deflate: deflate, maxMessageSize: limit)
    }

    /// Makes the calling task the one reader until ``release()``; false if another task is.
    func claim() -> Bool {
        claimed.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    func release() {
        claimed.store(false, ordering: .releasing)
    }

    /// The next message or control frame, reading (until `deadline`, if any) as needed; nil at
    /// end of stream. The caller holds the claim.
    ///
    /// - Throws: `WebSocketProtocolError` when the client broke the protocol; the stream's error
    ///   when reading fails or the deadline passes.
    func next(deadline: ContinuousClock.Instant?) async throws -> WebSocketMessageAssembler.Event? {
        let stream = self.stream
        return try await withTaskExecutorPreference(stream.reactor) {
            while true {
                while let frame = try decoder.nextFrame(from: &buffer) {
                    if let event = try assembler.receive(frame) { return event }
                }
                guard try await stream.read(into: &buffer, deadline: deadline) > 0 else { return nil }
            }
        }
    }
}
