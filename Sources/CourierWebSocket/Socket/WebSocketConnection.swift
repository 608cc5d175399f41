import CourierCore
import CourierTransport
import Synchronization

/// The running protocol of one client WebSocket: the close handshake's state, the reader and
/// writer tasks, the ping timer, and the end that everyone waits for. ``WebSocket`` is its public
/// face; the reader task holds this object, not the `WebSocket`, so dropping the `WebSocket`
/// can abort the connection.
///
/// The stream is closed exactly once, by the reader task as it ends, after the writer has
/// written what was queued (a close frame included); everyone else only interrupts it.
final class WebSocketConnection: Sendable {
    private struct Control {
        var close: WebSocketCloseState
        var timer: Task<Void, Never>?
        /// The reader should stop: the TCP connection is being closed.
        var stopping = false
        /// A ping is out and its pong has not come back.
        var awaitingPong = false
        /// ``WebSocketInbox/readerHolds``'s count and ``heard`` when the last ping went out.
        var holdsAtPing = 0
        var heardAtPing = 0
        /// Ticks in a row that found the pong missing and excused it only because bytes came in.
        var excusedByBytes = 0
        var ended = false
        var endWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let stream: any ByteStream
    let inbox: WebSocketInbox
    let writer: WebSocketWriter
    let options: WebSocketOptions
    private let control: Mutex<Control>

    init(
        stream: any ByteStream, deflate: PerMessageDeflateParameters?, options: WebSocketOptions,
        writeTimeout: Duration?
    ) {
        self.stream = stream
        self.options = options
        inbox = WebSocketInbox(limit: options.maxBufferedBytes)
        control = Mutex(Control(close: WebSocketCloseState(role: .client, closeTimeout: options.closeTimeout)))
        // The writer reports to this connection, which does not exist yet when the writer is
        // made; weakly, so that a writer's task never keeps the connection alive.
        let owner = Owner()
        writer = WebSocketWriter(stream: stream, deflate: deflate, writeTimeout: writeTimeout) { error in
            owner.connection?.abort(error)
        }
        owner.connection = self
    }

    /// A weak reference to the connection, set once in `init` before any write can fail.
    private final class Owner: Sendable {
        private let reference = Mutex(Reference())

        private struct Reference {
            weak var connection: WebSocketConnection?
        }

        var connection: WebSocketConnection? {
            get { reference.withLock { $0.connection } }
            set { reference.withLock { $0.connection = newValue } }
        }
    }

    // MARK: - Sending

    var canSendMessages: Bool { control.withLock { $0.close.canSendMessages } }

    func send(_ message: WebSocketMessage) async throws {
        guard canSendMessages else { throw WebSocketWriter.closed }
        try await writer.send(.message(message))
    }

    /// Starts the closing handshake; the first call counts.
    func close(_ payload: WebSocketClosePayload) {
        perform(fromReader: false) { $0.closeRequested(payload, now: .now) }
    }

    /// The `WebSocket` was dropped. An open connection is aborted; one whose closing handshake
    /// has begun finishes it on its own, bounded by its timers, so that the close frame owed to
    /// the peer still goes out (a loop over `messages` that ended with the server's close frame
    /// drops the socket right after: interrupting it then would cut the reply off).
    func dropped() {
        guard control.withLock({ $0.close.state == .open }) else { return }
        abort(HTTPClientError(.connectionClosed, "The WebSocket was dropped without being closed."))
    }

    /// Ends the connection at once, without a closing handshake (a cancelled reader, a dropped
    /// socket, a failed write, a missing pong); the messages end with `error`.
    func abort(_ error: any Error) {
        inbox.finish(.failed(error))
        perform(fromReader: false) { $0.connectionClosed() }
    }

    // MARK: - The end

    /// Whether the connection has ended and the stream is closed.
    var hasEnded: Bool { control.withLock { $0.ended } }

    /// Returns once the connection has ended and the stream is closed.
    func ended() async {
        await withCheckedContinuation { continuation in
            let done = control.withLock { control in
                guard !control.ended else { return true }
                control.endWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// The reader's last step: queued frames out, the stream closed, waiters resumed.
    func finishReading() async {
        await writer.finish()
        stream.close()
        let (timer, waiters) = control.withLock { control in
            control.ended = true
            defer { control.endWaiters = [] }
            return (control.timer.take(), control.endWaiters)
        }
        timer?.cancel()
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - What the reader hears

    /// Whether frames from the peer still count: not after its close frame, nor while closing.
    var isReading: Bool {
        control.withLock { control in
            guard !control.stopping else { return false }
            switch control.close.state {
            case .open, .closeSent: return true
            case .closeReceived, .closed: return false
            }
        }
    }

    var isStopping: Bool { control.withLock { $0.stopping } }

    func closeFrameReceived(_ payload: WebSocketClosePayload) {
        perform(fromReader: true) { $0.closeFrameReceived(payload, now: .now) }
    }

    func protocolError(_ error: WebSocketProtocolError) {
        perform(fromReader: true) { $0.failed(error) }
    }

    func connectionEnded() {
        perform(fromReader: true) { $0.connectionClosed() }
    }

    /// Answers a ping, unless the peer sends pings faster than it reads our pongs.
    func pingReceived(_ payload: ByteBuffer) {
        // Nothing follows our close frame, pongs included.
        guard canSendMessages else { return }
        guard writer.pendingControlFrames < WebSocketConnection.maxPendingControlFrames else {
            protocolError(.controlFrameFlood)
            return
        }
        writer.post(.control(.pong, payload))
    }

    func pongReceived() {
        control.withLock { $0.awaitingPong = false }
    }

    /// Pongs owed but not written beyond which the peer is flooding us (it pings and does not
    /// read), as HTTP/2 bounds its replies.
    static let maxPendingControlFrames = 1024

    // MARK: - Pings

    /// Reads that brought bytes from the peer.
    private let heard = Atomic<Int>(0)

    /// Ticks in a row a missing pong may be excused by bytes arriving meanwhile: the pong may be
    /// queued behind what the peer sent before our ping, but not for ever. A peer that sends and
    /// never answers pings (RFC 6455 §5.5.2 says it must) fails after these.
    static let maxTicksExcusedByBytes = 3

    /// The reader got bytes from the peer.
    func heardFromPeer() {
        heard.add(1, ordering: .relaxed)
    }

    /// One tick of the ping timer: a ping, or the end of the connection if the peer has not
    /// answered the last one. A pong travels behind whatever the peer sent before it, and a
    /// consumer that falls behind holds the reader back (back-pressure): so while the reader is
    /// held there is no ping at all, a reader held at any time since the ping excuses a missing
    /// pong, and bytes read since it do too, for ``maxTicksExcusedByBytes`` ticks in a row. A
    /// live peer is not taken for a dead one because the app, or the backlog it left, was slow.
    func pingTick(interval: Duration) {
        let (readerHeld, holds) = inbox.readerHolds
        let heard = heard.load(ordering: .relaxed)
        // nil: not open any more, or the reader held back: no ping either way.
        let overdue = control.withLock { control -> Bool? in
            guard control.close.state == .open else { return nil }
            guard !readerHeld else {
                control.awaitingPong = false
                return nil
            }
            var overdue = false
            if !control.awaitingPong {
                control.excusedByBytes = 0
            } else if holds == control.holdsAtPing {
                let bytesCame = heard != control.heardAtPing
                overdue = !bytesCame || control.excusedByBytes == WebSocketConnection.maxTicksExcusedByBytes
                control.excusedByBytes += 1
            }
            control.awaitingPong = true
            control.holdsAtPing = holds
            control.heardAtPing = heard
            return overdue
        }
        switch overdue {
        case true?:
            abort(HTTPClientError(.timeout(.read), "The WebSocket's peer did not answer a ping within \(interval)."))
        case false?:
            writer.post(.control(.ping, ByteBuffer()))
        case nil:
            break
        }
    }

    // MARK: - Performing the close handshake's actions

    private func perform(fromReader: Bool, _ event: (inout WebSocketCloseState) -> [WebSocketCloseState.Action]) {
        let actions = control.withLock { event(&$0.close) }
        for action in actions {
            switch action {
            case .sendClose(let payload):
                writer.post(.close(payload))
                inbox.drain()
            case .closeConnection:
                control.withLock { $0.stopping = true }
                inbox.drain()
                // The reader stops by itself; anyone else wakes it from its read.
                if !fromReader { stream.interrupt() }
            case .startTimer(let deadline):
                let timer = Task { [weak self] in
                    guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                    self?.perform(fromReader: false) { $0.timerFired(now: .now) }
                }
                let replaced = control.withLock { control in
                    defer { control.timer = timer }
                    return control.timer
                }
                replaced?.cancel()
            case .finishMessages(let ending):
                inbox.finish(WebSocketConnection.inboxEnding(ending))
            }
        }
    }

    private static func inboxEnding(_ ending: WebSocketCloseState.Ending) -> WebSocketInbox.Ending {
        switch ending {
        case .closed(let payload):
            guard let code = payload.code, code != .normalClosure else { return .normal }
            return .failed(
                HTTPClientError(
                    .webSocketClosed(code: code.rawValue),
                    "The WebSocket's peer closed it with \(code)\(payload.reason.isEmpty ? "" : " (\(payload.reason))").",
                    response: nil, closeReason: payload.reason))
        case .failed(let code, let reason):
            return .failed(
                HTTPClientError(
                    .webSocketClosed(code: code.rawValue), "The WebSocket failed with \(code): \(reason).",
                    response: nil, closeReason: reason))
        }
    }
}
