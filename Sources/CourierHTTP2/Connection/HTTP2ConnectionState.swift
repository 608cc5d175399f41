import CourierCore
import CourierTransport

/// Everything a client HTTP/2 connection knows, as one value driven under the connection's
/// lock: its lifecycle, both peers' settings, the flow-control windows, the streams, the HPACK
/// encoder and the bytes queued for the socket.
///
/// Every event — a frame read, a request written, a body chunk taken, a tick of the timer — is
/// a `mutating` call that changes the state, queues frames in ``outbound`` and records in
/// ``HTTP2Effects`` what the connection must do once the lock is released. No I/O happens here,
/// so the tests drive it frame by frame without sockets. HPACK encoding happens here, under the
/// same lock as queueing the frame, so blocks reach the wire in the order the encoder's dynamic
/// table assumes.
struct HTTP2ConnectionState {
    /// Where the connection is in its life.
    enum Lifecycle: Hashable, Sendable {
        /// The preface is sent; the server's first SETTINGS has not arrived.
        case awaitingSettings
        case open
        /// No new streams (GOAWAY received, degraded, identifiers exhausted); open ones go on.
        case draining
        case closed
    }

    /// The initial window of RFC 9113 §6.9.2, for the connection and every stream.
    static let defaultWindowSize = 65_535
    static let maxWindowSize = Int(HTTP2Setting.maxWindowSize)
    static let maxStreamID: UInt32 = 0x7FFF_FFFF

    let configuration: HTTP2Configuration
    /// `host:port`, as messages name the server.
    let peer: String
    private(set) var lifecycle: Lifecycle = .awaitingSettings
    /// Why no new stream may open, once draining or closed.
    private(set) var drainReason = ""
    /// What streams still waiting see once the connection has closed.
    private(set) var closeFailure: HTTP2StreamFailure?
    private(set) var goAwayLastStreamID: UInt32?
    private(set) var isDegraded = false

    // The server's settings and the send side of flow control.
    private(set) var peerMaxConcurrentStreams: Int?
    private(set) var peerInitialWindowSize = defaultWindowSize
    /// The server's SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441 §3): whether a stream may open
    /// with extended CONNECT, as a WebSocket over HTTP/2 does.
    private(set) var peerEnablesConnectProtocol = false
    var connectionSendWindow = defaultWindowSize

    // The receive side: what the server may still send on the connection.
    private(set) var connectionReceiveWindow: Int
    private(set) var connectionUnacknowledged = 0

    var streams = HTTP2StreamTable()
    /// Body segments the streams' consumers were given, to be written again.
    var segmentRecycler = HTTP2SegmentRecycler()
    var nextStreamID: UInt32 = 1
    /// Streams open or half-closed (§5.1.2).
    var activeStreams = 0
    /// Streams with a writer waiting, so that a window opening wakes them without a scan when none wait.
    var writeWaiterCount = 0

    private var hpack = HPACKEncoder(role: .client)
    private(set) var frameEncoder = HTTP2FrameEncoder()
    private var blockScratch: [UInt8] = []
    /// Encoded frames not yet taken by the writer.
    private(set) var outbound: [UInt8] = []
    /// The writer task, when it waits for frames.
    private var parkedWriter: UnsafeContinuation<Void, Never>?
    /// The writer is in a socket write.
    private(set) var writerBusy = false
    /// The timer task, when nothing has a deadline.
    private var parkedHousekeeper: UnsafeContinuation<Void, Never>?

    private var streamWaiters: [HTTP2Waiter] = []
    private var settingsWaiter: HTTP2Waiter?

    private var flood: HTTP2FloodGuard
    private var pingCount: UInt64 = 0
    private(set) var outstandingPing: UInt64?
    private var nextPing: ContinuousClock.Instant?

    init(configuration: HTTP2Configuration, peer: String) {
        self.configuration = configuration
        self.peer = peer
        self.connectionReceiveWindow = configuration.connectionWindowSize
        self.flood = HTTP2FloodGuard(limit: configuration.floodLimit, window: configuration.floodWindow)
    }

    /// The streams the server allows at once, capped (see ``HTTP2Configuration/maxConcurrentStreamsCap``).
    var streamLimit: Int {
        min(peerMaxConcurrentStreams ?? configuration.maxConcurrentStreamsCap, configuration.maxConcurrentStreamsCap)
    }

    /// Streams that may open now: the limit minus the active streams, 0 unless open.
    var openableStreams: Int {
        switch lifecycle {
        case .awaitingSettings, .open: max(0, streamLimit - activeStreams)
        case .draining, .closed: 0
        }
    }

    var acceptsStreams: Bool {
        switch lifecycle {
        case .awaitingSettings, .open: true
        case .draining, .closed: false
        }
    }

    var settingsReceived: Bool { lifecycle != .awaitingSettings }

    /// A copy of stream `id`, if present: for tests and rare paths (a copy retains all it holds).
    func stream(_ id: UInt32) -> HTTP2StreamState? { streams.contains(id) ? streams[stream: id] : nil }

    // MARK: Opening

    /// Queues the preface, our SETTINGS and the connection WINDOW_UPDATE (RFC 9113 §3.4).
    mutating func start() {
        outbound.append(contentsOf: HTTP2ConnectionPreface.bytes)
        let settings: [HTTP2Setting] = [
            .enablePush(false),
            .initialWindowSize(UInt32(min(configuration.streamWindowSize, HTTP2ConnectionState.maxWindowSize))),
            .maxHeaderListSize(UInt32(clamping: configuration.maxHeaderListSize)),
        ]
        queue(HTTP2Frame(streamID: 0, payload: .settings(settings)))
        let increment = configuration.connectionWindowSize - HTTP2ConnectionState.defaultWindowSize
        if increment > 0 { queue(HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: UInt32(increment)))) }
    }

    // MARK: Frames from the server

    /// Applies one frame from the server. `fields` is the decoded block of a HEADERS frame.
    mutating func receive(
        _ frame: HTTP2Frame, fields: consuming HTTPHeaders?, now: ContinuousClock.Instant, _ effects: inout HTTP2Effects
    ) {
        guard lifecycle != .closed else { return }
        let id = frame.streamID
        switch frame.payload {
        case .data(let bytes, let endStream, let padding):
            receiveData(bytes, endStream: endStream, padding: padding, on: id, now: now, &effects)
        case .headers(_, let endStream, _, _):
            receiveHeaders(fields.take() ?? HTTPHeaders(), endStream: endStream, on: id, &effects)
        case .priority:
            break
        case .rstStream(let code):
            guard admitControlFrame(now: now, &effects) else { return }
            receiveReset(code, on: id, &effects)
        case .settings(let settings):
            guard admitControlFrame(now: now, &effects) else { return }
            apply(settings, &effects)
        case .settingsAck:
            break
        case .pushPromise:
            connectionError(.protocolError, violation("sent PUSH_PROMISE, though push is disabled"), &effects)
        case .ping(let value, let ack):
            if ack {
                if value == outstandingPing { outstandingPing = nil }
            } else {
                guard admitControlFrame(now: now, &effects) else { return }
                queueReply(HTTP2Frame(streamID: 0, payload: .ping(value, ack: true)), &effects)
            }
        case .goAway(let lastStreamID, let code, _):
            receiveGoAway(lastStreamID: lastStreamID, code: code, &effects)
        case .windowUpdate(let increment):
            receiveWindowUpdate(Int(increment), on: id, &effects)
        }
        wakeWriter(&effects)
    }

    /// A framing error the decoder found: GOAWAY for the connection, RST_STREAM for one stream.
    mutating func receiveFrameError(_ error: HTTP2FrameError, _ effects: inout HTTP2Effects) {
        let clientError: HTTPClientError
        if case .headerBlockTooLarge = error {
            clientError = .protocolViolation(.headersTooLarge, "\(peer) sent an HTTP/2 header block: \(error).")
        } else {
            clientError = violation("broke HTTP/2 framing: \(error)")
        }
        switch error.scope {
        case .connection: connectionError(error.code, clientError, &effects)
        case .stream(let id): streamError(id, error.code, clientError, &effects)
        }
        wakeWriter(&effects)
    }

    /// A header block that does not decode: the HPACK context is lost (COMPRESSION_ERROR).
    mutating func receiveCompressionError(_ error: HPACKError, _ effects: inout HTTP2Effects) {
        let code: HTTP2ErrorCode = error.errorCode == 0x9 ? .compressionError : .protocolError
        connectionError(code, error.clientError, &effects)
        wakeWriter(&effects)
    }

    private mutating func receiveData(
        _ bytes: ByteBuffer, endStream: Bool, padding: UInt8?, on id: UInt32, now: ContinuousClock.Instant,
        _ effects: inout HTTP2Effects
    ) {
        let flowLength = bytes.count + (padding.map { Int($0) + 1 } ?? 0)
        guard flowLength <= connectionReceiveWindow else {
            return connectionError(
                .flowControlError,
                violation(
                    "sent \(flowLength) octets of DATA, more than the connection's flow-control window of \(connectionReceiveWindow)"
                ), &effects)
        }
        // The connection's window is returned as data arrives: what a stream holds is bounded by
        // its own window, so a consumer that stalls stalls only its stream (see Docs/HTTP2.md).
        connectionReceiveWindow -= flowLength
        connectionUnacknowledged += flowLength
        if connectionUnacknowledged >= configuration.connectionWindowSize / 2 {
            queue(HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: UInt32(connectionUnacknowledged))))
            connectionReceiveWindow += connectionUnacknowledged
            connectionUnacknowledged = 0
        }
        if bytes.isEmpty && !endStream {
            guard admitControlFrame(now: now, &effects) else { return }
        }
        guard streams.contains(id) else { return unknownStream(id, "DATA", &effects) }
        guard streams[stream: id].canReceive else { return receivedAfterEnd("DATA", on: id, &effects) }
        guard streams[stream: id].finalHead != nil else {
            return streamError(
                id, .protocolError, violation("sent DATA on stream \(id) before a final response head"), &effects)
        }
        guard flowLength <= streams[stream: id].receiveWindow else {
            let window = streams[stream: id].receiveWindow
            return streamError(
                id, .flowControlError,
                violation(
                    "sent \(flowLength) octets of DATA on stream \(id), more than its flow-control window of \(window)"),
                &effects)
        }
        streams[stream: id].receiveWindow -= flowLength
        streams[stream: id].unacknowledged += flowLength - bytes.count
        if !bytes.isEmpty {
            let expected = streams[stream: id].declaredLength.map { $0 - streams[stream: id].receivedLength }
            // Octets past content-length never reach the reader: it gets at most what the head
            // declared, then the error (RFC 9113 §8.1.1).
            if let expected, bytes.count > expected {
                return contentLengthMismatch(id, received: streams[stream: id].receivedLength + bytes.count, &effects)
            }
            streams[stream: id].body.append(bytes, expected: expected, recycler: &segmentRecycler)
            streams[stream: id].receivedLength += bytes.count
        }
        if endStream { endOfStream(id, &effects) }
        effects.resume(takeReadWaiter(id))
    }

    private mutating func receiveHeaders(
        _ fields: consuming HTTPHeaders, endStream: Bool, on id: UInt32, _ effects: inout HTTP2Effects
    ) {
        guard streams.contains(id) else { return unknownStream(id, "HEADERS", &effects) }
        guard streams[stream: id].canReceive else { return receivedAfterEnd("HEADERS", on: id, &effects) }
        do throws(HTTPClientError) {
            if streams[stream: id].finalHead == nil {
                let parsed = try HTTP2Fields.response(consume fields, stream: id, peer: peer)
                let status = parsed.head.status.code
                if parsed.head.status.isInformational {
                    guard !endStream else {
                        throw violation("ended stream \(id) with an interim (\(status)) response")
                    }
                    streams[stream: id].interimCount += 1
                    guard streams[stream: id].interimCount <= configuration.maxInterimResponses else {
                        throw HTTPClientError.protocolViolation(
                            .headersTooLarge,
                            "\(peer) sent more than \(configuration.maxInterimResponses) interim responses on stream \(id)."
                        )
                    }
                    streams[stream: id].interimHeads.append(parsed.head)
                } else {
                    streams[stream: id].finalHead = parsed.head
                    let hasContent =
                        !streams[stream: id].isHeadRequest && status != 204 && status != 304
                        && !(streams[stream: id].isTunnel && parsed.head.status.isSuccess)
                    streams[stream: id].declaredLength = hasContent ? parsed.contentLength : nil
                    if endStream { endOfStream(id, &effects) }
                }
            } else {
                guard endStream else {
                    throw violation("sent a second header block on stream \(id) that does not end it")
                }
                streams[stream: id].trailers = try HTTP2Fields.trailers(fields, stream: id, peer: peer)
                endOfStream(id, &effects)
            }
        } catch {
            return streamError(id, .protocolError, error, &effects)
        }
        effects.resume(takeReadWaiter(id))
    }

    /// END_STREAM arrived: the response is whole, if its length matches what it declared.
    private mutating func endOfStream(_ id: UInt32, _ effects: inout HTTP2Effects) {
        if let declared = streams[stream: id].declaredLength, streams[stream: id].receivedLength != declared {
            return contentLengthMismatch(id, received: streams[stream: id].receivedLength, &effects)
        }
        streams[stream: id].endStreamReceived = true
        let wasActive = streams[stream: id].isActive
        _ = streams[stream: id].apply(.receiveEndStream)
        if streams[stream: id].requestAbandoned && streams[stream: id].isActive {
            // The request body was given up (RFC 9113 §8.1): close our side with NO_ERROR.
            queue(HTTP2Frame(streamID: id, payload: .rstStream(.noError)))
            _ = streams[stream: id].apply(.reset)
        }
        if wasActive && !streams[stream: id].isActive { leftActive(&effects) }
        effects.resume(takeWriteWaiter(id))
    }

    private mutating func contentLengthMismatch(_ id: UInt32, received: Int, _ effects: inout HTTP2Effects) {
        let declared = streams[stream: id].declaredLength ?? 0
        let error = HTTPClientError.protocolViolation(
            .invalidContentLength,
            "\(peer) sent \(received) octets of content on HTTP/2 stream \(id), which declared a content-length of \(declared)."
        )
        streamError(id, .protocolError, error, &effects)
    }

    private mutating func receiveReset(_ code: HTTP2ErrorCode, on id: UInt32, _ effects: inout HTTP2Effects) {
        guard streams.contains(id) else { return unknownStream(id, "RST_STREAM", &effects) }
        let wasActive = streams[stream: id].isActive
        if code == .noError && streams[stream: id].endStreamReceived {
            // A complete response, and the server wants no more of the request (§8.1).
            streams[stream: id].writeFailure = streams[stream: id].writeFailure ?? .reset(code)
        } else {
            streams[stream: id].readFailure = streams[stream: id].readFailure ?? .reset(code)
            streams[stream: id].writeFailure = streams[stream: id].writeFailure ?? .reset(code)
        }
        _ = streams[stream: id].apply(.reset)
        if wasActive { leftActive(&effects) }
        effects.resume(takeReadWaiter(id))
        effects.resume(takeWriteWaiter(id))
    }

    private mutating func receiveWindowUpdate(_ increment: Int, on id: UInt32, _ effects: inout HTTP2Effects) {
        if id == 0 {
            guard connectionSendWindow + increment <= HTTP2ConnectionState.maxWindowSize else {
                return connectionError(
                    .flowControlError,
                    violation(
                        "sent a WINDOW_UPDATE that takes the connection's window past 2^31-1 (\(connectionSendWindow) + \(increment))"
                    ), &effects)
            }
            connectionSendWindow += increment
            wakeWriteWaiters(&effects)
            return
        }
        guard streams.contains(id) else { return unknownStream(id, "WINDOW_UPDATE", &effects) }
        let window = streams[stream: id].sendWindow
        guard window + increment <= HTTP2ConnectionState.maxWindowSize else {
            return streamError(
                id, .flowControlError,
                violation(
                    "sent a WINDOW_UPDATE that takes stream \(id)'s window past 2^31-1 (\(window) + \(increment))"),
                &effects)
        }
        streams[stream: id].sendWindow += increment
        effects.resume(takeWriteWaiter(id))
    }

    private mutating func apply(_ settings: [HTTP2Setting], _ effects: inout HTTP2Effects) {
        for setting in settings {
            switch setting {
            case .headerTableSize(let size):
                hpack.setPeerMaxTableSize(Int(size))
            case .enablePush:
                break
            case .maxConcurrentStreams(let limit):
                let old = streamLimit
                peerMaxConcurrentStreams = Int(limit)
                if streamLimit != old && lifecycle != .awaitingSettings { effects.events.append(.capacityChanged) }
                wakeStreamWaiters(&effects)
            case .initialWindowSize(let size):
                // §6.9.2: the change applies to the window of every stream that may still send
                // (open or half-closed remote), which may go negative. A stream done sending has
                // no window left to change, nor one that can overflow.
                let delta = Int(size) - peerInitialWindowSize
                peerInitialWindowSize = Int(size)
                for id in streams.keys where streams[stream: id].canSend {
                    streams[stream: id].sendWindow += delta
                    if streams[stream: id].sendWindow > HTTP2ConnectionState.maxWindowSize {
                        return connectionError(
                            .flowControlError,
                            violation("sent an INITIAL_WINDOW_SIZE that takes stream \(id)'s window past 2^31-1"),
                            &effects)
                    }
                }
                if delta > 0 { wakeWriteWaiters(&effects) }
            case .maxFrameSize(let size):
                frameEncoder.maxFrameSize = Int(size)
            case .maxHeaderListSize:
                break
            case .enableConnectProtocol(let enabled):
                // RFC 8441 §3: once on, it stays on; streams may already rely on it.
                guard enabled || !peerEnablesConnectProtocol else {
                    return connectionError(
                        .protocolError, violation("withdrew SETTINGS_ENABLE_CONNECT_PROTOCOL after enabling it"),
                        &effects)
                }
                peerEnablesConnectProtocol = enabled
            }
        }
        queueReply(HTTP2Frame(streamID: 0, payload: .settingsAck), &effects)
        if lifecycle == .awaitingSettings {
            lifecycle = .open
            effects.resume(settingsWaiter)
            settingsWaiter = nil
        }
    }

    private mutating func receiveGoAway(lastStreamID: UInt32, code: HTTP2ErrorCode, _ effects: inout HTTP2Effects) {
        let last = min(lastStreamID, goAwayLastStreamID ?? lastStreamID)
        goAwayLastStreamID = last
        let reason = "the server sent GOAWAY (\(code)) with last stream \(last)"
        for id in streams.keys where id > last && streams[stream: id].isActive {
            // Never processed (§6.8): a new connection may carry the request.
            streams[stream: id].readFailure =
                streams[stream: id].readFailure ?? .refused("stream \(id) is above \(reason)")
            streams[stream: id].writeFailure =
                streams[stream: id].writeFailure ?? .refused("stream \(id) is above \(reason)")
            _ = streams[stream: id].apply(.reset)
            activeStreams -= 1
            effects.resume(takeReadWaiter(id))
            effects.resume(takeWriteWaiter(id))
        }
        drain(reason, &effects)
        wakeStreamWaiters(&effects)
        closeIfDrained(&effects)
    }

    /// DATA or HEADERS on a stream the server may no longer send on (§5.1). After its END_STREAM
    /// while the request is still going out (half-closed remote), a stream error; once both
    /// sides have ended, a connection error. Both are STREAM_CLOSED, and in both the response
    /// that had ended stays whole for its reader. After a reset, frames the server sent before
    /// it saw the reset may still arrive: they are ignored.
    private mutating func receivedAfterEnd(_ type: String, on id: UInt32, _ effects: inout HTTP2Effects) {
        guard streams[stream: id].endStreamReceived else { return }
        let error = violation("sent \(type) on stream \(id) after ending it")
        if streams[stream: id].phase == .halfClosedRemote {
            streamError(id, .streamClosed, error, &effects)
        } else {
            connectionError(.streamClosed, error, &effects)
        }
    }

    /// A frame on a stream the table does not hold: one this side closed and forgot is ignored
    /// (frames in flight may still arrive, §5.1 "closed"); one never opened is a connection error.
    private mutating func unknownStream(_ id: UInt32, _ type: String, _ effects: inout HTTP2Effects) {
        if id % 2 == 1 && id < nextStreamID { return }
        connectionError(
            .protocolError, violation("sent \(type) on stream \(id), which the client never opened"), &effects)
    }

    /// Queues a frame the server's own frames called for (a PING or SETTINGS acknowledgement, an
    /// RST_STREAM for a stream we forgot). A server that keeps asking without reading the answers
    /// would grow the queue without bound (the "reset flood" and "ping flood" of CVE-2019-9512
    /// and -9514): past four times the high-water mark, the connection is closed instead.
    private mutating func queueReply(_ frame: HTTP2Frame, _ effects: inout HTTP2Effects) {
        guard outbound.count < 4 * configuration.outboundHighWater else {
            return connectionError(
                .enhanceYourCalm, violation("keeps sending frames that call for replies without reading them"),
                &effects)
        }
        queue(frame)
    }

    private mutating func admitControlFrame(now: ContinuousClock.Instant, _ effects: inout HTTP2Effects) -> Bool {
        guard flood.admit(now: now) else {
            connectionError(
                .enhanceYourCalm,
                violation(
                    "sent more than \(configuration.floodLimit) SETTINGS, PING, RST_STREAM or empty DATA frames in \(configuration.floodWindow)"
                ), &effects)
            return false
        }
        return true
    }

    // MARK: Errors and closing

    private func violation(_ what: String) -> HTTPClientError {
        HTTPClientError.protocolViolation(.http2Protocol, "\(peer) \(what).")
    }

    /// A stream error (§5.4.2): RST_STREAM with `code`, and the stream fails with `error`,
    /// except for a response that had already ended, which its reader still gets whole. On a
    /// stream never opened, which RST_STREAM must not name (§6.4), it is a connection error.
    mutating func streamError(
        _ id: UInt32, _ code: HTTP2ErrorCode, _ error: HTTPClientError, _ effects: inout HTTP2Effects
    ) {
        guard streams.contains(id) else {
            guard id % 2 == 1 && id < nextStreamID else { return connectionError(code, error, &effects) }
            queueReply(HTTP2Frame(streamID: id, payload: .rstStream(code)), &effects)
            return
        }
        let failure = HTTP2StreamFailure.violation(error)
        let wasActive = streams[stream: id].isActive
        if wasActive { queue(HTTP2Frame(streamID: id, payload: .rstStream(code))) }
        if !streams[stream: id].endStreamReceived {
            streams[stream: id].readFailure = streams[stream: id].readFailure ?? failure
        }
        streams[stream: id].writeFailure = streams[stream: id].writeFailure ?? failure
        _ = streams[stream: id].apply(.reset)
        if wasActive { leftActive(&effects) }
        effects.resume(takeReadWaiter(id))
        effects.resume(takeWriteWaiter(id))
    }

    /// A connection error (§5.4.1): GOAWAY with `code`, then the connection closes and every
    /// stream that has not ended fails with `error`.
    mutating func connectionError(_ code: HTTP2ErrorCode, _ error: HTTPClientError, _ effects: inout HTTP2Effects) {
        guard lifecycle != .closed else { return }
        queue(
            HTTP2Frame(
                streamID: 0,
                payload: .goAway(
                    lastStreamID: 0, code, debugData: ByteBuffer(string: String(error.message.prefix(200))))
            ))
        close(.violation(error), &effects)
    }

    /// Closes the connection: streams that have not ended fail with `failure`; the writer sends
    /// what is queued and shuts the socket down.
    mutating func close(_ failure: HTTP2StreamFailure, goAway: Bool = false, _ effects: inout HTTP2Effects) {
        guard lifecycle != .closed else { return }
        if goAway {
            queue(HTTP2Frame(streamID: 0, payload: .goAway(lastStreamID: 0, .noError, debugData: ByteBuffer())))
        }
        if drainReason.isEmpty { drainReason = "the connection is closed" }
        lifecycle = .closed
        closeFailure = failure
        for id in streams.keys {
            if !streams[stream: id].endStreamReceived {
                streams[stream: id].readFailure = streams[stream: id].readFailure ?? failure
            }
            streams[stream: id].writeFailure = streams[stream: id].writeFailure ?? failure
            _ = streams[stream: id].apply(.reset)
            effects.resume(takeReadWaiter(id))
            effects.resume(takeWriteWaiter(id))
        }
        activeStreams = 0
        for waiter in streamWaiters { effects.resume(waiter) }
        streamWaiters.removeAll()
        effects.resume(settingsWaiter)
        settingsWaiter = nil
        effects.events.append(.closed)
        if let housekeeper = parkedHousekeeper {
            parkedHousekeeper = nil
            effects.housekeeper = housekeeper
        }
        wakeWriter(&effects)
    }

    /// No new streams from now on.
    mutating func drain(_ reason: String, _ effects: inout HTTP2Effects) {
        switch lifecycle {
        case .awaitingSettings, .open:
            lifecycle = .draining
            drainReason = reason
            effects.events.append(.draining)
            effects.resume(settingsWaiter)
            settingsWaiter = nil
        case .draining, .closed:
            break
        }
    }

    /// A draining connection closes when its last stream has ended.
    private mutating func closeIfDrained(_ effects: inout HTTP2Effects) {
        guard lifecycle == .draining, activeStreams == 0 else { return }
        close(.refused(drainReason), goAway: goAwayLastStreamID == nil, &effects)
    }

    /// A stream left the open and half-closed states.
    mutating func leftActive(_ effects: inout HTTP2Effects) {
        activeStreams -= 1
        wakeStreamWaiters(&effects)
        closeIfDrained(&effects)
    }

    // MARK: Writer

    /// Queues a frame for the writer.
    mutating func queue(_ frame: HTTP2Frame) {
        frameEncoder.encode(frame, into: &outbound)
    }

    /// Encodes `fields` with the connection's HPACK encoder and queues them as HEADERS (and
    /// CONTINUATION frames, for a block larger than the server's frame size).
    mutating func queueHeaders(_ fields: HTTPHeaders, endStream: Bool, on id: UInt32) {
        var block: [UInt8] = []
        swap(&block, &blockScratch)
        hpack.encode(fields, into: &block)
        queue(HTTP2Frame(streamID: id, payload: .headers(ByteBuffer(block), endStream: endStream)))
        block.removeAll(keepingCapacity: true)
        swap(&block, &blockScratch)
    }

    /// Hands the writer its continuation back when there is something for it to do.
    mutating func wakeWriter(_ effects: inout HTTP2Effects) {
        guard let writer = parkedWriter, !outbound.isEmpty || lifecycle == .closed else { return }
        parkedWriter = nil
        effects.writer = writer
    }

    /// The writer takes every queued byte (swapped with its own emptied buffer); writers waiting
    /// for room in the queue may go on.
    mutating func takeOutbound(into batch: inout [UInt8], _ effects: inout HTTP2Effects) {
        swap(&outbound, &batch)
        writerBusy = !batch.isEmpty
        if writerBusy { wakeWriteWaiters(&effects) }
    }

    /// The writer has ended for good: nothing may interrupt its socket any more.
    mutating func writerEnded() {
        writerBusy = false
    }

    /// The writer parks unless there is work; true when it must go on at once.
    mutating func parkWriter(_ continuation: UnsafeContinuation<Void, Never>) -> Bool {
        writerBusy = false
        guard outbound.isEmpty && lifecycle != .closed else { return true }
        parkedWriter = continuation
        return false
    }

    // MARK: Waiters

    /// Installs a waiter in its slot; a deadline wakes the timer task if it is parked.
    mutating func install(_ waiter: HTTP2Waiter, in slot: HTTP2WaitSlot, _ effects: inout HTTP2Effects) {
        switch slot {
        case .read(let id):
            precondition(streams[stream: id].readWaiter == nil, "two readers waiting on one HTTP/2 stream")
            streams[stream: id].readWaiter = waiter
        case .write(let id):
            precondition(streams[stream: id].writeWaiter == nil, "two writers waiting on one HTTP/2 stream")
            streams[stream: id].writeWaiter = waiter
            writeWaiterCount += 1
        case .stream:
            streamWaiters.append(waiter)
        case .settings:
            precondition(settingsWaiter == nil, "two tasks waiting for the server's SETTINGS")
            settingsWaiter = waiter
        }
        if waiter.deadline != nil || configuration.pingInterval != nil, let housekeeper = parkedHousekeeper {
            parkedHousekeeper = nil
            effects.housekeeper = housekeeper
        }
    }

    /// Removes the waiter `id` from `slot`, if it still waits there.
    mutating func removeWaiter(_ id: UInt64, from slot: HTTP2WaitSlot) -> HTTP2Waiter? {
        switch slot {
        case .read(let stream):
            guard streams.contains(stream), let waiter = streams[stream: stream].readWaiter, waiter.id == id else {
                return nil
            }
            return takeReadWaiter(stream)
        case .write(let stream):
            guard streams.contains(stream), let waiter = streams[stream: stream].writeWaiter, waiter.id == id else {
                return nil
            }
            return takeWriteWaiter(stream)
        case .stream:
            guard let index = streamWaiters.firstIndex(where: { $0.id == id }) else { return nil }
            return streamWaiters.remove(at: index)
        case .settings:
            guard let waiter = settingsWaiter, waiter.id == id else { return nil }
            settingsWaiter = nil
            return waiter
        }
    }

    mutating func takeReadWaiter(_ id: UInt32) -> HTTP2Waiter? {
        guard streams.contains(id), let waiter = streams[stream: id].readWaiter else { return nil }
        streams[stream: id].readWaiter = nil
        return waiter
    }

    mutating func takeWriteWaiter(_ id: UInt32) -> HTTP2Waiter? {
        guard streams.contains(id), let waiter = streams[stream: id].writeWaiter else { return nil }
        streams[stream: id].writeWaiter = nil
        writeWaiterCount -= 1
        return waiter
    }

    private mutating func wakeWriteWaiters(_ effects: inout HTTP2Effects) {
        guard writeWaiterCount > 0 else { return }
        for id in streams.keys where streams[stream: id].writeWaiter != nil {
            effects.resume(takeWriteWaiter(id))
        }
    }

    private mutating func wakeStreamWaiters(_ effects: inout HTTP2Effects) {
        guard !streamWaiters.isEmpty else { return }
        for waiter in streamWaiters { effects.resume(waiter) }
        streamWaiters.removeAll(keepingCapacity: true)
    }

    // MARK: Timer

    /// What the timer task does next.
    enum HousekeeperStep: Equatable {
        case park
        case sleep(until: ContinuousClock.Instant)
        case exit
    }

    /// Expires waiters whose deadline has passed, sends a PING when one is due and marks the
    /// connection degraded when the last went unanswered; says when to look again.
    mutating func tick(now: ContinuousClock.Instant, _ effects: inout HTTP2Effects) -> HousekeeperStep {
        guard lifecycle != .closed else { return .exit }
        var earliest: ContinuousClock.Instant?
        func due(_ waiter: HTTP2Waiter?) -> Bool {
            guard let deadline = waiter?.deadline else { return false }
            if deadline <= now { return true }
            earliest = min(earliest ?? deadline, deadline)
            return false
        }
        if due(settingsWaiter) {
            effects.resume(settingsWaiter, throwing: ReactorError.timedOut)
            settingsWaiter = nil
        }
        var index = 0
        while index < streamWaiters.count {
            if due(streamWaiters[index]) {
                effects.resume(streamWaiters.remove(at: index), throwing: ReactorError.timedOut)
            } else {
                index += 1
            }
        }
        for id in streams.keys {
            if due(streams[stream: id].readWaiter) {
                effects.resume(takeReadWaiter(id), throwing: ReactorError.timedOut)
            }
            if due(streams[stream: id].writeWaiter) {
                effects.resume(takeWriteWaiter(id), throwing: ReactorError.timedOut)
            }
        }
        if let interval = configuration.pingInterval, activeStreams > 0, lifecycle != .draining {
            if let scheduled = nextPing, now >= scheduled {
                if outstandingPing != nil {
                    isDegraded = true
                    drain("a PING went unanswered for \(interval)", &effects)
                } else {
                    pingCount &+= 1
                    outstandingPing = pingCount
                    queue(HTTP2Frame(streamID: 0, payload: .ping(pingCount, ack: false)))
                    wakeWriter(&effects)
                }
                nextPing = now + interval
            } else if nextPing == nil {
                nextPing = now + interval
            }
            earliest = min(earliest ?? nextPing!, nextPing!)
        } else {
            nextPing = nil
        }
        guard let earliest else { return .park }
        // A waiter installed later with an earlier deadline is seen at the next tick at most.
        return .sleep(until: min(earliest, now + .milliseconds(100)))
    }

    /// The timer task parks unless something has a deadline or a PING is due; true to go on.
    mutating func parkHousekeeper(_ continuation: UnsafeContinuation<Void, Never>) -> Bool {
        guard lifecycle != .closed else { return true }
        let waiting =
            settingsWaiter?.deadline != nil || streamWaiters.contains { $0.deadline != nil }
            || streams.contains { $0.readWaiter?.deadline != nil || $0.writeWaiter?.deadline != nil }
            || (configuration.pingInterval != nil && activeStreams > 0)
        guard !waiting else { return true }
        parkedHousekeeper = continuation
        return false
    }
}
