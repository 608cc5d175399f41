import CourierCore
import CourierTransport

extension HTTP2ConnectionState {
    /// Opens a stream for a request's fields: allocates its identifier, encodes the block and
    /// queues HEADERS, all under the one lock, so identifiers and HPACK state reach the wire in
    /// order. Nil when the server's concurrency limit is reached (wait for a stream to end).
    ///
    /// - Throws: ``HTTP2StreamFailure/refused(_:)`` once the connection takes no new streams:
    ///   nothing was sent, so the request may go on another connection.
    ///   ``HTTP2StreamFailure/extendedConnectDisabled`` for a `tunnel` (extended CONNECT) when the
    ///   server has not enabled it, which RFC 8441 §4 requires before one is sent.
    mutating func openStream(
        _ fields: HTTPHeaders, endStream: Bool, isHeadRequest: Bool, tunnel: Bool = false,
        _ effects: inout HTTP2Effects
    ) throws(HTTP2StreamFailure) -> UInt32? {
        guard acceptsStreams else { throw .refused(drainReason) }
        guard !tunnel || peerEnablesConnectProtocol else { throw .extendedConnectDisabled }
        guard nextStreamID <= HTTP2ConnectionState.maxStreamID else {
            drain("its stream identifiers are used up", &effects)
            throw .refused(drainReason)
        }
        guard activeStreams < streamLimit else { return nil }
        let id = nextStreamID
        nextStreamID += 2
        var stream = HTTP2StreamState(
            id: id, sendWindow: peerInitialWindowSize, receiveWindow: configuration.streamWindowSize,
            isHeadRequest: isHeadRequest, isTunnel: tunnel)
        _ = stream.apply(.sendHeaders(endStream: endStream))
        streams.insert(stream, for: id)
        activeStreams += 1
        queueHeaders(fields, endStream: endStream, on: id)
        wakeWriter(&effects)
        return id
    }

    /// Queues DATA from `bytes[offset...]` as far as the windows, the frame size and the
    /// outbound queue allow, moving `offset`; true once all of it (and END_STREAM, when
    /// `endStream`) is queued, false to wait for a WINDOW_UPDATE or the writer.
    mutating func send(
        _ bytes: ByteBuffer, offset: inout Int, endStream: Bool, on id: UInt32, _ effects: inout HTTP2Effects
    ) throws(HTTP2StreamFailure) -> Bool {
        guard streams.contains(id) else { throw closeFailure ?? .closedLocally }
        if let failure = streams[stream: id].writeFailure { throw failure }
        guard streams[stream: id].canSend else { throw .reset(.streamClosed) }
        defer { wakeWriter(&effects) }
        while outbound.count < configuration.outboundHighWater {
            let remaining = bytes.count - offset
            // A window may be negative (the server lowered INITIAL_WINDOW_SIZE, §6.9.2); an empty
            // DATA frame that only ends the stream needs none.
            let count = max(
                0, min(remaining, streams[stream: id].sendWindow, connectionSendWindow, frameEncoder.maxFrameSize))
            guard count > 0 || remaining == 0 else { return false }
            guard remaining > 0 || endStream else { return true }
            let last = endStream && count == remaining
            queue(HTTP2Frame(streamID: id, payload: .data(bytes.slice(from: offset, count: count), endStream: last)))
            offset += count
            streams[stream: id].sendWindow -= count
            connectionSendWindow -= count
            if last {
                let wasActive = streams[stream: id].isActive
                _ = streams[stream: id].apply(.sendEndStream)
                if wasActive && !streams[stream: id].isActive { leftActive(&effects) }
                return true
            }
            if offset == bytes.count && !endStream { return true }
        }
        return false
    }

    /// Ends this side of stream `id` with an empty DATA frame carrying END_STREAM, if it may
    /// still send: how a tunnel passes on a half-close (RFC 8441 §5). Needs no window, and goes
    /// out even past the outbound queue's high-water mark, which only paces DATA.
    mutating func endSending(on id: UInt32, _ effects: inout HTTP2Effects) {
        guard streams.contains(id), streams[stream: id].canSend, streams[stream: id].writeFailure == nil else { return }
        queue(HTTP2Frame(streamID: id, payload: .data(ByteBuffer(), endStream: true)))
        let wasActive = streams[stream: id].isActive
        _ = streams[stream: id].apply(.sendEndStream)
        if wasActive && !streams[stream: id].isActive { leftActive(&effects) }
        wakeWriter(&effects)
    }

    /// Whether stream `id` opened as a tunnel (extended CONNECT), whatever the answer.
    func isTunnel(_ id: UInt32) -> Bool {
        streams.contains(id) && streams[stream: id].isTunnel
    }

    /// Whether stream `id` opened as a tunnel (extended CONNECT) and its final head is a 2xx.
    func isOpenTunnel(_ id: UInt32) -> Bool {
        // Field by field through the table's addressor: binding the stream would copy all of it.
        isTunnel(id) && streams[stream: id].finalHead?.status.isSuccess == true
    }

    /// The next response head for the exchange: interim ones first (only a 100 when
    /// `returningContinue`, others skipped), then the final one; nil to wait.
    mutating func takeHead(on id: UInt32, returningContinue: Bool) throws(HTTP2StreamFailure) -> ResponseHead? {
        guard streams.contains(id) else { throw closeFailure ?? .closedLocally }
        while !streams[stream: id].interimHeads.isEmpty {
            let head = streams[stream: id].interimHeads.removeFirst()
            if returningContinue && head.status.code == 100 { return head }
        }
        if let head = streams[stream: id].finalHead, !streams[stream: id].finalHeadTaken {
            streams[stream: id].finalHeadTaken = true
            return head
        }
        if let failure = streams[stream: id].readFailure { throw failure }
        return nil
    }

    /// What one read of a response body finds.
    enum BodyRead: Sendable {
        case data(ByteBuffer)
        case end(trailers: HTTPHeaders?)
    }

    /// The next body chunk, or the end; nil to wait. Taking a chunk may queue a stream
    /// WINDOW_UPDATE (once half the stream's window has been consumed), so the server sends
    /// more only as fast as the exchange reads.
    mutating func takeBody(on id: UInt32, _ effects: inout HTTP2Effects) throws(HTTP2StreamFailure) -> BodyRead? {
        guard streams.contains(id) else { throw closeFailure ?? .closedLocally }
        if let chunk = streams[stream: id].body.take(recycler: &segmentRecycler) {
            if let increment = streams[stream: id].consumed(chunk.count) {
                queue(HTTP2Frame(streamID: id, payload: .windowUpdate(increment: UInt32(increment))))
                wakeWriter(&effects)
            }
            return .data(chunk)
        }
        if let failure = streams[stream: id].readFailure { throw failure }
        if streams[stream: id].endStreamReceived { return .end(trailers: streams[stream: id].trailers) }
        return nil
    }

    /// The body of a response that ended before the exchange asked for it, trailers and all.
    struct EndedBody: Sendable {
        var body: HTTP2BodyBuffer
        var trailers: HTTPHeaders?
    }

    /// Takes every byte of a response that has already ended and frees its stream, in one step
    /// under the lock; nil while more is to come. Most small responses have arrived whole by the
    /// time their head is read: their bodies are then read without touching the connection,
    /// whose lock the reader holds for every frame of every stream.
    mutating func takeEndedBody(on id: UInt32, _ effects: inout HTTP2Effects) -> EndedBody? {
        guard streams.contains(id), streams[stream: id].endStreamReceived, streams[stream: id].readFailure == nil else {
            return nil
        }
        let ended = EndedBody(body: streams[stream: id].body, trailers: streams[stream: id].trailers)
        release(id, &effects)
        return ended
    }

    /// Whether a response (whose head the exchange has) has a body to read: not for HEAD, 204
    /// or 304, nor when the stream ended with the head. Trailers straight after the head (no
    /// DATA) still make an (empty) body: a caller gets trailers only from a body read to its end.
    func expectsBody(on id: UInt32, status: Int) -> Bool {
        guard streams.contains(id) else { return false }
        if streams[stream: id].isHeadRequest || status == 204 || status == 304 { return false }
        return
            !(streams[stream: id].endStreamReceived && !streams[stream: id].hasBufferedData
            && streams[stream: id].readFailure == nil
            && streams[stream: id].trailers == nil)
    }

    /// The trailers of a stream whose response has ended.
    func trailers(on id: UInt32) -> HTTPHeaders? { streams.contains(id) ? streams[stream: id].trailers : nil }

    /// The final head, if it arrived, for an exchange whose request could not be written whole.
    mutating func finalHeadAfterWriteFailure(on id: UInt32) -> ResponseHead? {
        guard streams.contains(id), let head = streams[stream: id].finalHead else { return nil }
        streams[stream: id].finalHeadTaken = true
        return head
    }

    /// The exchange sends no more of the request: a final response came first. The stream is
    /// reset with NO_ERROR once the response has ended, or now if it has (RFC 9113 §8.1).
    mutating func abandonRequest(on id: UInt32, _ effects: inout HTTP2Effects) {
        guard streams.contains(id), streams[stream: id].canSend else { return }
        streams[stream: id].requestAbandoned = true
        if streams[stream: id].endStreamReceived {
            queue(HTTP2Frame(streamID: id, payload: .rstStream(.noError)))
            _ = streams[stream: id].apply(.reset)
            leftActive(&effects)
            wakeWriter(&effects)
        }
    }

    /// The exchange lets go of the stream: done, failed or cancelled. A stream still open is
    /// reset — CANCEL, or NO_ERROR when only the request side is left (§8.1) — and its slot is
    /// free at once; frames still in flight for it are then ignored.
    mutating func release(_ id: UInt32, _ effects: inout HTTP2Effects) {
        guard var stream = streams.removeValue(forKey: id) else { return }
        if streams.isEmpty { segmentRecycler.removeAll() }
        if stream.isActive {
            queue(HTTP2Frame(streamID: id, payload: .rstStream(stream.endStreamReceived ? .noError : .cancel)))
            _ = stream.apply(.reset)
            leftActive(&effects)
            wakeWriter(&effects)
        }
        // Bytes it still held need no WINDOW_UPDATE: the stream is gone, and the connection's
        // window was returned as they arrived.
        effects.resume(stream.readWaiter, throwing: CancellationError())
        if let writer = stream.writeWaiter {
            writeWaiterCount -= 1
            effects.resume(writer, throwing: CancellationError())
        }
    }

    /// Wakes the stream's waiting reader and writer, which then fail with `.interrupted`.
    mutating func interrupt(_ id: UInt32, _ effects: inout HTTP2Effects) {
        guard streams.contains(id) else { return }
        streams[stream: id].readFailure = streams[stream: id].readFailure ?? .interrupted
        streams[stream: id].writeFailure = streams[stream: id].writeFailure ?? .interrupted
        effects.resume(takeReadWaiter(id))
        effects.resume(takeWriteWaiter(id))
    }
}
