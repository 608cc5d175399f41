package import CourierCore
package import CourierTransport
import Synchronization

/// A client HTTP/2 connection (RFC 9113): one socket carrying many streams, each an exchange
/// with its own ``HTTP2StreamCodec``.
///
/// Three tasks pinned to the socket's reactor do the I/O, so readiness resumes them without a
/// thread hop: a reader that decodes frames and applies them, a writer that sends whatever
/// frames are queued in one gathered write, and a timer for deadlines and PINGs. Exchanges never
/// touch the socket: they change the state under the connection's one lock (queueing frames,
/// taking body data) and wait on continuations that the reader resumes. The state is a value,
/// ``HTTP2ConnectionState``; see Docs/HTTP2.md.
///
/// ```swift
/// let connection = HTTP2Connection(
///     stream: tls, route: route, tlsHandshake: handshake, configuration: HTTP2Configuration()
/// ) { connection, event in pool.note(event, on: connection) }
/// try await connection.start(timeout: IOTimeout(.seconds(10)))
/// let codec = connection.makeCodec()
/// ```
package final class HTTP2Connection: PooledConnection, Sendable, CustomStringConvertible {
    /// Identifiers from a range of their own, apart from HTTP/1.1's counter, so that both stay
    /// unique within the process.
    package let stream: any ByteStream
    package let info: ConnectionInfo
    package let configuration: HTTP2Configuration
    /// `host:port`, as messages name the server.
    let peer: String
    private let onEvent: @Sendable (HTTP2Connection, HTTP2ConnectionEvent) -> Void
    /// Every piece of mutable state; see ``HTTP2ConnectionState``.
    let state: Mutex<HTTP2ConnectionState>
    private let waiterIDs = Atomic<UInt64>(0)
    private let exchangesBegun = Atomic<Int>(0)
    /// The reader and the writer while they run; the last to end closes the socket, so that its
    /// descriptor is never closed under the other.
    private let ioTasks = Atomic<Int>(0)
    /// Set once `start` has handed the socket to the reader and writer: from then on only the
    /// last of them closes it, never `close()` (which would race it, and could close a
    /// descriptor number already reused).
    private let started = Atomic<Bool>(false)
    private let housekeeper = Mutex<Task<Void, Never>?>(nil)

    package init(
        stream: any ByteStream, route: Route, tlsHandshake: TLSHandshake?, serverIdentity: ServerIdentity? = nil,
        configuration: HTTP2Configuration,
        onEvent: @escaping @Sendable (HTTP2Connection, HTTP2ConnectionEvent) -> Void
    ) {
        self.stream = stream
        self.serverIdentity = serverIdentity
        self.info = ConnectionInfo(
            id: ConnectionIDs.next(), route: route, version: .http2,
            tlsHandshake: tlsHandshake)
        self.configuration = configuration
        self.peer = "\(route.address.host):\(route.address.port)"
        self.onEvent = onEvent
        self.state = Mutex(HTTP2ConnectionState(configuration: configuration, peer: peer))
    }

    /// What its TLS handshake proved: other hosts it may serve (see ``PooledConnection/serverIdentity``).
    package let serverIdentity: ServerIdentity?

    package var reactor: Reactor { stream.reactor }

    package var description: String { info.description }

    /// The streams the pool may lease at once: the server's SETTINGS_MAX_CONCURRENT_STREAMS
    /// (capped at ``HTTP2Configuration/maxConcurrentStreamsCap``, which also stands in when the
    /// server sets none), counting those open; the pool counts its leases against it.
    package var exchangeCapacity: Int { state.withLock { $0.streamLimit } }

    /// Streams that may open now: the limit minus the streams open; 0 once draining or closed.
    package var openableStreams: Int { state.withLock { $0.openableStreams } }

    /// The server's stream limit as capped, whatever is open.
    package var maxConcurrentStreams: Int { state.withLock { $0.streamLimit } }

    /// False once draining (GOAWAY, unanswered PING, identifiers used up) or closed, and for an
    /// idle connection whose socket has something unread (see below).
    package var isHealthy: Bool {
        let (acceptsStreams, idle) = state.withLock { ($0.acceptsStreams, $0.activeStreams == 0) }
        guard acceptsStreams else { return false }
        // The pool asks before it hands out a connection that sat idle. A peer that closed it
        // meanwhile may not have been read yet: the reader runs only when the reactor gets to
        // it. A peek (MSG_PEEK, so the reader still gets every byte) that finds the end of the
        // stream says not to start a stream on it. Pending bytes do not: unlike HTTP/1.1, an
        // idle HTTP/2 connection is sent frames (WINDOW_UPDATE, PING, SETTINGS) all the time,
        // and a GOAWAY among them refuses a new stream unprocessed, which is retried.
        guard idle, let socket = (stream as? Socket) ?? (stream as? TLSStream)?.socket else { return true }
        return !socket.peerHasClosed
    }

    package var takesNewExchanges: Bool { state.withLock { $0.acceptsStreams } }

    package var isMultiplexed: Bool { true }

    package func makeCodec() -> any ExchangeCodec {
        HTTP2StreamCodec(connection: self)
    }

    /// Counts an exchange in; true when one ran before on this connection.
    func beginExchange() -> Bool {
        exchangesBegun.wrappingAdd(1, ordering: .relaxed).oldValue > 0
    }

    // MARK: Lifetime

    /// Sends the preface, SETTINGS and the connection WINDOW_UPDATE, starts the connection's
    /// tasks and waits for the server's first SETTINGS, so that ``exchangeCapacity`` is known.
    ///
    /// - Throws: `.timeout(.connect)` when no SETTINGS came in time,
    ///   `.connectionClosed` when the server closed the connection first, a protocol violation
    ///   when it sent something else. The connection is closed then.
    package func start(timeout: IOTimeout) async throws {
        state.withLock { $0.start() }
        ioTasks.store(2, ordering: .relaxed)
        started.store(true, ordering: .releasing)
        let reactor = self.reactor
        Task(executorPreference: reactor) { await self.writeLoop() }
        Task(executorPreference: reactor) { await self.readLoop() }
        let timer = Task(executorPreference: reactor) { await self.housekeepingLoop() }
        housekeeper.withLock { $0 = timer }
        do {
            _ = try await wait(.settings, timeout: timeout) { state, _ throws(HTTP2StreamFailure) -> Bool? in
                if state.lifecycle == .closed { throw state.closeFailure ?? .closedLocally }
                return state.settingsReceived ? true : nil
            }
        } catch {
            close()
            switch error {
            case HTTP2StreamFailure.violation(let violation):
                throw violation
            case let failure as HTTP2StreamFailure:
                let detail = failure.error(stream: 0, peer: peer, phase: .responseHead).message
                throw HTTPClientError(
                    .connectionClosed, "\(peer) ended the HTTP/2 connection before sending its SETTINGS: \(detail)")
            case ReactorError.timedOut:
                throw HTTPClientError(.timeout(.connect), "\(peer) did not send its HTTP/2 SETTINGS in time.")
            default:
                throw error
            }
        }
    }

    /// Closes the connection now: GOAWAY(NO_ERROR) goes out if the socket takes it, and every
    /// stream that has not ended fails.
    package func close() {
        var effects = HTTP2Effects()
        let stream = self.stream
        state.withLock { state in
            state.close(.closedLocally, goAway: true, &effects)
            // The writer may be stuck on a peer that does not read: wake it. Under the lock,
            // because the writer clears `writerBusy` under it before it can end and close the
            // descriptor: so the descriptor is still the connection's here.
            if state.writerBusy { stream.interrupt() }
        }
        perform(&effects)
        if !started.load(ordering: .acquiring) {
            // Never started: no task owns the socket.
            stream.close()
        }
    }

    private func ioTaskEnded() {
        guard ioTasks.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
        stream.close()
        housekeeper.withLock { $0?.cancel() }
    }

    // MARK: Waiting

    /// Runs `attempt` under the lock until it returns a value, waiting in `slot` between tries
    /// for the reader (or a timer, a cancel, an interrupt) to change the state.
    ///
    /// The attempt and the installation of the waiter happen under one lock, so no change can
    /// slip in between and be missed. A deadline passing throws `ReactorError.timedOut`;
    /// cancellation `CancellationError`.
    nonisolated(nonsending) func wait<T: Sendable>(
        _ slot: HTTP2WaitSlot, timeout: IOTimeout,
        _ attempt: (inout HTTP2ConnectionState, inout HTTP2Effects) throws(HTTP2StreamFailure) -> T?
    ) async throws -> T {
        while true {
            try timeout.check()
            var effects = HTTP2Effects()
            let first: Result<T?, HTTP2StreamFailure> = state.withLock { state in
                do throws(HTTP2StreamFailure) {
                    return .success(try attempt(&state, &effects))
                } catch {
                    return .failure(error)
                }
            }
            perform(&effects)
            if let value = try first.get() { return value }

            let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).oldValue
            let deadline = timeout.deadline
            var early: Result<T, HTTP2StreamFailure>?
            try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                    var effects = HTTP2Effects()
                    let outcome: HTTP2WaitOutcome<T> = state.withLock { state in
                        do throws(HTTP2StreamFailure) {
                            if let value = try attempt(&state, &effects) { return .ready(.success(value)) }
                        } catch {
                            return .ready(.failure(error))
                        }
                        // Under the lock, so the cancellation handler either runs after the
                        // install (and finds the waiter) or the flag is already set here.
                        if Task.isCancelled { return .cancelled }
                        let waiter = HTTP2Waiter(id: id, continuation: continuation, deadline: deadline)
                        state.install(waiter, in: slot, &effects)
                        return .installed
                    }
                    perform(&effects)
                    switch outcome {
                    case .installed:
                        break
                    case .ready(let result):
                        early = result
                        continuation.resume()
                    case .cancelled:
                        continuation.resume(throwing: CancellationError())
                    }
                }
            } onCancel: {
                let waiter = state.withLock { $0.removeWaiter(id, from: slot) }
                waiter?.continuation.resume(throwing: CancellationError())
            }
            if let early { return try early.get() }
        }
    }

    /// Carries out what a transition asked for, outside the lock, and empties `effects`.
    func perform(_ effects: inout HTTP2Effects) {
        guard !effects.isEmpty else { return }
        for (waiter, error) in effects.resumes {
            if let error {
                waiter.continuation.resume(throwing: error)
            } else {
                waiter.continuation.resume()
            }
        }
        effects.resumes.removeAll(keepingCapacity: true)
        effects.writer?.resume()
        effects.writer = nil
        effects.housekeeper?.resume()
        effects.housekeeper = nil
        for event in effects.events { onEvent(self, event) }
        effects.events.removeAll(keepingCapacity: true)
    }

    /// Runs a transition that cannot fail or wait, and carries out its effects.
    func update<R>(_ body: (inout HTTP2ConnectionState, inout HTTP2Effects) -> R) -> R {
        var effects = HTTP2Effects()
        let result = state.withLock { body(&$0, &effects) }
        perform(&effects)
        return result
    }

    // MARK: Tasks

    /// Reads frames until the connection ends; on the reactor.
    private func readLoop() async {
        var buffer = ReceiveBuffer()
        var decoder = HTTP2FrameDecoder(
            role: .client(pushEnabled: false), maxHeaderBlockSize: configuration.maxHeaderListSize,
            lendsSmallPayloads: true)
        var hpack = HPACKDecoder(maxHeaderListSize: configuration.maxHeaderListSize)
        var effects = HTTP2Effects()
        var open = true
        // Bytes read since the waiters were last woken.
        var deferred = 0
        while open {
            let count: Int
            do {
                count = try await stream.read(into: &buffer, deadline: nil)
            } catch let error as HTTPClientError {
                // A TLS alert (a refused client certificate, say) keeps its own meaning.
                update { state, effects in state.close(.violation(error), &effects) }
                break
            } catch {
                connectionLost("The connection to \(peer) failed (\(error))")
                break
            }
            guard count > 0 else {
                connectionLost("\(peer) closed the connection")
                break
            }
            let now = ContinuousClock.now
            while open {
                let frame: HTTP2Frame
                do {
                    guard let next = try decoder.nextFrame(from: &buffer) else { break }
                    frame = next
                } catch {
                    open = state.withLock { state in
                        state.receiveFrameError(error, &effects)
                        return state.lifecycle != .closed
                    }
                    continue
                }
                var fields: HTTPHeaders?
                if case .headers(let block, _, _, _) = frame.payload {
                    do {
                        fields = try block.withUnsafeBytes { (bytes) throws(HPACKError) in try hpack.decode(bytes) }
                    } catch {
                        state.withLock { $0.receiveCompressionError(error, &effects) }
                        open = false
                        break
                    }
                }
                open = state.withLock { state in
                    state.receive(frame, fields: fields.take(), now: now, &effects)
                    return state.lifecycle != .closed
                }
            }
            // Streams copy DATA out (see HTTP2BodyBuffer) and header blocks are decoded at once:
            // the next read reuses the buffer.
            buffer.reclaimLent()
            // After a large read with more bytes already waiting (a download in full flow), the
            // waiters are woken after the next read instead, up to 256 KiB later: a body reader
            // on another thread then wakes once per several reads, not once per read (7a: 21 %
            // less CPU per GiB). Small reads, which carry heads, wake at once.
            deferred += count
            if open && count >= 16 << 10 && deferred < 256 << 10 && stream.hasInputReady { continue }
            deferred = 0
            perform(&effects)
        }
        perform(&effects)
        ioTaskEnded()
    }

    private func connectionLost(_ detail: String) {
        update { state, effects in state.close(.connectionLost(detail), &effects) }
    }

    /// Sends queued frames, all that have piled up in one write, until the connection closes;
    /// on the reactor.
    private func writeLoop() async {
        var batch: [UInt8] = []
        var effects = HTTP2Effects()
        while true {
            let closing = state.withLock { state in
                state.takeOutbound(into: &batch, &effects)
                return state.lifecycle == .closed
            }
            perform(&effects)
            if !batch.isEmpty {
                do {
                    // Once closing, a peer that does not read gets a second for the GOAWAY.
                    try await stream.write(
                        ByteBuffer(batch), ByteBuffer(), deadline: closing ? .now + .seconds(1) : nil)
                } catch {
                    if !closing { connectionLost("Writing to \(peer) failed (\(error))") }
                    break
                }
                batch.removeAll(keepingCapacity: true)
                continue
            }
            if closing { break }
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                if state.withLock({ $0.parkWriter(continuation) }) { continuation.resume() }
            }
        }
        state.withLock { $0.writerEnded() }
        // Wakes the reader, which may be waiting for bytes that will never come.
        stream.interrupt()
        ioTaskEnded()
    }

    /// Expires deadlines and sends PINGs; parks while nothing has a deadline.
    private func housekeepingLoop() async {
        var effects = HTTP2Effects()
        while true {
            let step = state.withLock { $0.tick(now: .now, &effects) }
            perform(&effects)
            switch step {
            case .exit:
                return
            case .sleep(let until):
                do {
                    try await Task.sleep(until: until, clock: .continuous)
                } catch {
                    return
                }
            case .park:
                await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                    if state.withLock({ $0.parkHousekeeper(continuation) }) { continuation.resume() }
                }
            }
        }
    }
}

/// What the second try of a wait found, under the lock that installs the waiter.
private enum HTTP2WaitOutcome<T: Sendable> {
    case ready(Result<T, HTTP2StreamFailure>)
    case installed
    case cancelled
}
