import CourierCore
import CourierHTTP2
import CourierTransport
import Synchronization

/// One HTTP/2 connection of the test server (RFC 9113), after the TLS handshake chose `h2` or a
/// cleartext client opened with the preface (h2c with prior knowledge).
///
/// Three kinds of task share it. The connection's own task reads and handles frames; a writer
/// task is the only one to write to the stream, draining ``HTTP2OutboundQueue``; each request
/// gets a responder task, so a slow handler holds up only its own stream. The reader and the
/// writer run on the socket's reactor, which a `TLSStream` requires to be read and written
/// concurrently. Shared state is ``HTTP2ServerState`` behind one lock.
///
/// Everything the client sends is bounded: frame sizes and header blocks by the decoder, header
/// lists by the HPACK decoder, concurrent streams by SETTINGS_MAX_CONCURRENT_STREAMS (streams
/// past it are refused), request bodies by flow control, and control-frame floods by reading no
/// further while the answers to them pile up unwritten.
final class HTTP2ServerConnection: Sendable {
    /// Request bodies larger than this are counted and not recorded in full.
    static let maxRecordedBody = 16 << 20
    /// Unwritten bytes past which the reader stops reading until the writer catches up.
    private static let maxBacklog = 1 << 20

    let stream: any ByteStream
    let server: TestServer
    let options: HTTP2Options
    let index: Int
    let state = Mutex(HTTP2ServerState())

    init(stream: any ByteStream, index: Int, server: TestServer) {
        self.stream = stream
        self.index = index
        self.server = server
        self.options = server.http2
    }

    /// Serves the connection until it ends; `buffer` holds what was read before HTTP/2 was
    /// recognised. The caller closes the stream.
    func run(buffer: ReceiveBuffer) async {
        let writer = Task(executorPreference: stream.reactor) { [self] in await writeLoop() }
        if !options.isSilent {
            withState { $0.enqueue(HTTP2Frame(streamID: 0, payload: .settings(serverSettings))) }
        }
        let script = options.onConnect.map { script in
            Task(executorPreference: globalConcurrentExecutor) { [self] in try? await script(frameWriter(streamID: 0)) }
        }
        let stream = self.stream
        await withTaskCancellationHandler {
            do {
                var reader = HTTP2ConnectionReader(buffer: buffer, options: options)
                try await readFrames(&reader)
            } catch let failure as HTTP2ConnectionFailure {
                goAway(failure.code, reason: failure.reason)
            } catch {
                // The socket failed or was interrupted: nothing can be sent any more.
            }
        } onCancel: {
            stream.interrupt()
        }
        script?.cancel()
        for responder in withState({ $0.close() }) { responder.cancel() }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(2))
            stream.interrupt()
        }
        await writer.value
        await linger()
        watchdog.cancel()
    }

    /// Reads and drops what the client still sends until it closes too (or the watchdog ends
    /// it), once the writer has sent everything and half-closed.
    ///
    /// Closing a socket whose receive queue holds unread bytes (a client's HEADERS for streams
    /// above GOAWAY's last stream, its WINDOW_UPDATEs) makes the kernel send RST and drop what
    /// the send queue still holds, so the client lost responses to streams the GOAWAY promised
    /// to answer, intermittently, under load. A lingering close, as nginx does.
    private func linger() async {
        var drain = ReceiveBuffer()
        while let count = try? await stream.read(into: &drain, deadline: .now + .seconds(1)), count > 0 {
            drain.skip(drain.readableCount)
        }
    }

    /// The SETTINGS the server opens with, from ``HTTP2Options``.
    private var serverSettings: [HTTP2Setting] {
        [
            .maxConcurrentStreams(UInt32(clamping: options.maxConcurrentStreams)),
            .initialWindowSize(UInt32(clamping: min(options.initialWindowSize, Int(HTTP2Setting.maxWindowSize)))),
            .maxFrameSize(UInt32(clamping: options.maxFrameSize).clamped(to: HTTP2Setting.frameSizeRange)),
            .headerTableSize(UInt32(clamping: options.headerTableSize)),
            .maxHeaderListSize(UInt32(clamping: options.maxHeaderListSize)),
        ] + (options.enablesConnectProtocol ? [.enableConnectProtocol(true)] : [])
    }

    /// Locks the shared state for `body`, then fires the wakeups it recorded.
    @discardableResult
    func withState<T: Sendable, Failure: Error>(
        _ body: (inout HTTP2ServerState) throws(Failure) -> T
    ) throws(Failure)
        -> T
    {
        let (result, wakeups) = try state.withLock { (state) throws(Failure) in
            defer { state.wakeups.removeAll() }
            return (try body(&state), state.wakeups)
        }
        for wakeup in wakeups { wakeup.fire() }
        return result
    }

    /// Sends GOAWAY for a connection error and stops taking new frames.
    private func goAway(_ code: HTTP2ErrorCode, reason: String) {
        withState { state in
            let last = state.lastClientStreamID
            state.enqueue(
                HTTP2Frame(
                    streamID: 0, payload: .goAway(lastStreamID: last, code, debugData: ByteBuffer(string: reason))))
            state.goAwayLastStreamID = last
        }
    }

    // MARK: Writing

    /// The one task that writes to the stream: whatever is queued, in order, until the queue closes.
    private func writeLoop() async {
        while true {
            let chunk = await withCheckedContinuation { continuation in
                withState { $0.outbound.nextChunk(for: continuation, wakeups: &$0.wakeups) }
            }
            guard let chunk else { break }
            do {
                try await stream.write(ByteBuffer(chunk), deadline: nil)
            } catch {
                withState { $0.outbound.writerFailed(wakeups: &$0.wakeups) }
                stream.interrupt()
                return
            }
            withState { $0.outbound.didWrite(chunk.count, wakeups: &$0.wakeups) }
        }
        // Everything is written: half-close, so the client reads the end after the last frame,
        // and ``linger()`` reads until it closes. A reader still waiting sees that end.
        stream.shutdownOutput()
    }

    /// Waits until the bytes up to `ticket` are written.
    ///
    /// - Throws: `CancellationError` when they never will be (the connection ended).
    func flushed(_ ticket: Int?) async throws {
        guard let ticket else { throw CancellationError() }
        let done = await withCheckedContinuation { continuation in
            withState { $0.outbound.waitForFlush(ticket, continuation, wakeups: &$0.wakeups) }
        }
        guard done else { throw CancellationError() }
    }

    /// A writer of raw bytes for a script, on `streamID`.
    func frameWriter(streamID: UInt32) -> HTTP2FrameWriter {
        HTTP2FrameWriter(streamID: streamID) { [self] bytes in
            try await flushed(withState { $0.outbound.append(bytes, wakeups: &$0.wakeups) })
        }
    }

    // MARK: Reading

    private func readFrames(_ reader: inout HTTP2ConnectionReader) async throws {
        while true {
            while let frame = try reader.nextFrame(resetting: { id, code in reset(id, code) }) {
                try await handle(frame, &reader)
                if withState({ $0.isDrained }) { return }
            }
            let backlog = withState { $0.outbound.backlog }
            if backlog > HTTP2ServerConnection.maxBacklog {
                try await flushed(withState { $0.outbound.enqueued - HTTP2ServerConnection.maxBacklog / 2 })
            }
            guard try await stream.read(into: &reader.buffer, deadline: nil) > 0 else { return }
        }
    }

    /// Sends RST_STREAM and forgets the stream, cancelling its responder.
    func reset(_ streamID: UInt32, _ code: HTTP2ErrorCode) {
        let responder = withState { state in
            state.enqueue(HTTP2Frame(streamID: streamID, payload: .rstStream(code)))
            return state.removeStream(streamID)
        }
        responder?.cancel()
    }
}

extension UInt32 {
    fileprivate func clamped(to range: ClosedRange<UInt32>) -> UInt32 {
        Swift.min(Swift.max(self, range.lowerBound), range.upperBound)
    }
}
