import CourierCore
import CourierTransport
import Synchronization

/// An HTTP/2 stream that opened with extended CONNECT and was accepted with a 2xx, as the byte
/// stream of the protocol it switched to (a WebSocket, RFC 8441 §5): DATA frames both ways under
/// flow control, END_STREAM where TCP has a FIN, RST_STREAM(CANCEL) where TCP has a reset.
///
/// The stream keeps its place among the connection's streams until ``close()``, and the
/// connection stays in the pool for other calls meanwhile; `closed` tells the pool the stream
/// is free. Reading returns the stream's window to the server as bytes are taken, so a reader
/// that stops reading stops the server's sending on this stream alone.
final class HTTP2StreamTunnel: ByteStream {
    private let connection: HTTP2Connection
    private let id: UInt32
    private let closed: @Sendable () -> Void
    /// The rest of a DATA payload that did not fit the reader's buffer. One task reads at a
    /// time, as for any `ByteStream`; the lock only makes that visible to the compiler.
    private let pending = Mutex<ByteBuffer?>(nil)
    private let isClosed = Atomic<Bool>(false)

    init(connection: HTTP2Connection, id: UInt32, closed: @escaping @Sendable () -> Void) {
        self.connection = connection
        self.id = id
        self.closed = closed
    }

    var reactor: Reactor { connection.reactor }

    func read(into buffer: inout ReceiveBuffer, deadline: ContinuousClock.Instant?) async throws -> Int {
        var chunk: ByteBuffer
        if let held = pending.withLock({ $0.take() }) {
            chunk = held
        } else {
            switch try await connection.readBody(on: id, timeout: IOTimeout(nil, callDeadline: deadline)) {
            case .data(let data): chunk = data
            case .end: return 0
            }
        }
        let copied = buffer.write(from: chunk)
        if copied < chunk.count {
            chunk = chunk.slice(from: copied, count: chunk.count - copied)
            pending.withLock { $0 = chunk }
        }
        return copied
    }

    /// Waits for the stream's and the connection's send windows, as a request body does: past
    /// the deadline it is `.timeout(.write)`, and a connection whose writer is stuck behind a
    /// peer that stopped reading is closed rather than left in the pool.
    func write(_ first: ByteBuffer, _ second: ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
        let timeout = IOTimeout(deadline.map { $0 - .now })
        for part in [first, second] where !part.isEmpty {
            try await connection.send(part, endStream: false, on: id, timeout: timeout)
        }
    }

    /// A peer that reset the stream ends it with an error, not a clean end.
    var isTruncated: Bool { false }

    var isHealthy: Bool { !isClosed.load(ordering: .relaxed) }

    func interrupt() {
        connection.interrupt(id)
    }

    func shutdownOutput() {
        connection.update { state, effects in state.endSending(on: id, &effects) }
    }

    /// After the server ended its side (the clean end of a WebSocket, whose server closes
    /// first) this side ends too and the stream closes cleanly; otherwise it is reset with CANCEL.
    func close() {
        guard !isClosed.exchange(true, ordering: .relaxed) else { return }
        connection.update { state, effects in
            if state.stream(id)?.endStreamReceived == true { state.endSending(on: id, &effects) }
            state.release(id, &effects)
        }
        closed()
    }
}
