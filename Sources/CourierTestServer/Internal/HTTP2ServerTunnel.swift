import CourierCore
import CourierHTTP2
import CourierTransport
import Synchronization

/// An extended CONNECT's stream as the connection keeps it: what the client sent and the session
/// has not read, and which sides have ended. The stream stays stored until the session closes
/// the tunnel, even once both sides have ended, so that the bytes before the client's end are
/// still read.
struct HTTP2ServerTunnelInbound {
    var chunks: [ByteBuffer] = []
    /// The client ended its side (END_STREAM): its FIN, in TCP terms (RFC 8441 §5).
    var ended = false
    /// The server ended its side.
    var serverEnded = false
    /// The session's read, waiting for bytes.
    var reader: CheckedContinuation<Void, Never>?
}

/// One stream of an HTTP/2 test-server connection that an extended CONNECT opened (RFC 8441),
/// as the byte stream of the protocol it switched to, for a ``ServerWebSocket``: DATA both
/// ways within the windows, END_STREAM for a FIN, RST_STREAM(CANCEL) for an abortive close.
///
/// The client's window on the stream is returned as the session reads, so a session that stops
/// reading stops the client. Reads take no deadline: the one reader, ``ServerWebSocket``, reads
/// without one and is woken by ``interrupt()``.
final class HTTP2ServerTunnel: ByteStream {
    /// The stream was reset or the connection ended under the session.
    struct Reset: Error {}

    private let connection: HTTP2ServerConnection
    private let streamID: UInt32
    /// The rest of a chunk that did not fit the reader's buffer. One task reads at a time, as
    /// for any `ByteStream`; the lock only makes that visible to the compiler.
    private let pending = Mutex<ByteBuffer?>(nil)

    init(connection: HTTP2ServerConnection, streamID: UInt32) {
        self.connection = connection
        self.streamID = streamID
    }

    var reactor: Reactor { connection.stream.reactor }

    func read(into buffer: inout ReceiveBuffer, deadline: ContinuousClock.Instant?) async throws -> Int {
        var chunk: ByteBuffer
        if let held = pending.withLock({ $0.take() }) {
            chunk = held
        } else {
            guard let next = try await nextChunk() else { return 0 }
            chunk = next
        }
        let copied = buffer.write(from: chunk)
        if copied < chunk.count {
            chunk = chunk.slice(from: copied, count: chunk.count - copied)
            pending.withLock { $0 = chunk }
        }
        return copied
    }

    private func nextChunk() async throws -> ByteBuffer? {
        while true {
            switch connection.withState({
                $0.takeTunnelChunk(streamID, returnsWindow: connection.options.sendsWindowUpdates)
            }) {
            case .chunk(let chunk): return chunk
            case .end: return nil
            case .gone: throw Reset()
            case .empty:
                await withCheckedContinuation { continuation in
                    connection.withState { $0.waitForTunnel(streamID, continuation) }
                }
            }
        }
    }

    func write(_ first: ByteBuffer, _ second: ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
        var sender = HTTP2BodySender(connection: connection, streamID: streamID, throttle: nil)
        for part in [first, second] where !part.isEmpty {
            try await sender.send(part)
        }
    }

    var isTruncated: Bool { false }

    var isHealthy: Bool { connection.withState { $0.streams[streamID] != nil } }

    /// An abortive close: RST_STREAM(CANCEL), which wakes the session's read and write.
    func interrupt() {
        connection.withState { state in
            guard state.streams[streamID] != nil else { return }
            state.enqueue(HTTP2Frame(streamID: streamID, payload: .rstStream(.cancel)))
            state.removeStream(streamID)
        }
    }

    /// END_STREAM: the server's FIN.
    func shutdownOutput() {
        connection.withState { state in
            guard case .sent = state.enqueueData(ByteBuffer(), streamID: streamID, endStream: true) else { return }
            state.streams[streamID]?.tunnel?.serverEnded = true
        }
    }

    /// Ends the stream once the session is done. A server that ended its side waits, at most
    /// `limit`, for the client to end its own, as a TCP close waits for the peer's FIN, so that a
    /// clean close is END_STREAM both ways (RFC 8441 §5); what the client sends meanwhile is
    /// dropped. Otherwise, or at the limit, the stream is reset.
    func finish(within limit: Duration) async {
        if connection.withState({ $0.streams[streamID]?.tunnel?.serverEnded == true }) {
            let timer = Task { [self] in
                try await Task.sleep(for: limit)
                interrupt()
            }
            var drain = ReceiveBuffer()
            while let count = try? await read(into: &drain, deadline: nil), count > 0 { drain.skip(count) }
            timer.cancel()
        }
        close()
    }

    /// Ends the stream: cleanly if both sides have ended it, else with RST_STREAM(CANCEL).
    func close() {
        let ended = connection.withState { state in
            guard let tunnel = state.streams[streamID]?.tunnel, tunnel.ended && tunnel.serverEnded else { return false }
            state.removeStream(streamID)
            return true
        }
        if !ended { interrupt() }
    }
}

extension HTTP2ServerState {
    enum TunnelRead {
        case chunk(ByteBuffer)
        case end
        case gone
        case empty
    }

    /// The next chunk the client sent on the tunnel `streamID`; taking it returns its window to
    /// the client with WINDOW_UPDATE when `returnsWindow`.
    mutating func takeTunnelChunk(_ streamID: UInt32, returnsWindow: Bool) -> TunnelRead {
        guard let tunnel = streams[streamID]?.tunnel else { return .gone }
        guard !tunnel.chunks.isEmpty else { return tunnel.ended ? .end : .empty }
        let chunk = streams[streamID]!.tunnel!.chunks.removeFirst()
        if returnsWindow, streams[streamID]!.isReceiving {
            streams[streamID]!.receiveWindow += chunk.count
            enqueue(HTTP2Frame(streamID: streamID, payload: .windowUpdate(increment: UInt32(chunk.count))))
        }
        return .chunk(chunk)
    }

    /// Keeps `continuation` until the tunnel `streamID` has bytes, ends or goes; resumes it now
    /// if that has happened.
    mutating func waitForTunnel(_ streamID: UInt32, _ continuation: CheckedContinuation<Void, Never>) {
        guard let tunnel = streams[streamID]?.tunnel, tunnel.chunks.isEmpty, !tunnel.ended else {
            wakeups.append(.window(continuation))
            return
        }
        streams[streamID]!.tunnel!.reader = continuation
    }

    /// Bytes (or the end) from the client on the tunnel `streamID`, for its reader.
    mutating func receiveTunnel(_ bytes: ByteBuffer, endStream: Bool, on streamID: UInt32) {
        guard streams[streamID]?.tunnel != nil else { return }
        if !bytes.isEmpty { streams[streamID]!.tunnel!.chunks.append(bytes) }
        if let reader = streams[streamID]!.tunnel!.reader {
            streams[streamID]!.tunnel!.reader = nil
            wakeups.append(.window(reader))
        }
        guard endStream else { return }
        streams[streamID]!.tunnel!.ended = true
        switch streams[streamID]!.phase {
        case .open, .halfClosedRemote: streams[streamID]!.phase = .halfClosedRemote
        // An ordinary response answered the CONNECT and ended; no session reads: both sides are done.
        case .halfClosedLocal: removeStream(streamID)
        }
    }
}
