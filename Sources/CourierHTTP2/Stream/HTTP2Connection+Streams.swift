import CourierCore
import CourierTransport

/// What an ``HTTP2StreamCodec`` asks of its connection. Every wait is bounded by the caller's
/// `IOTimeout`, and every error is already the one the call sees.
extension HTTP2Connection {
    /// Opens a stream and queues the request's HEADERS; waits while the server's stream limit
    /// is reached.
    /// A request that asks to upgrade (`upgrade`, from ``HTTP2Fields/upgradeProtocol(of:)``) opens
    /// as extended CONNECT (RFC 8441): the stream then stays open from this side after the head,
    /// whatever `endStream` says, to carry the new protocol.
    nonisolated(nonsending) func openStream(
        _ request: HTTPRequest, upgrade: String?, endStream: Bool, timeout: IOTimeout
    ) async throws -> UInt32 {
        let fields = try HTTP2Fields.request(request, upgrade: upgrade)
        let isHead = request.method == .head
        let tunnel = upgrade != nil
        do {
            return try await wait(.stream, timeout: timeout) { state, effects throws(HTTP2StreamFailure) in
                try state.openStream(
                    fields, endStream: endStream && !tunnel, isHeadRequest: isHead, tunnel: tunnel, &effects)
            }
        } catch {
            throw map(error, stream: 0, phase: .request, timeout: timeout)
        }
    }

    /// Queues `bytes` as DATA on stream `id` under flow control; waits for WINDOW_UPDATEs, and
    /// for the writer when much is queued already.
    nonisolated(nonsending) func send(
        _ bytes: ByteBuffer, endStream: Bool, on id: UInt32, timeout: IOTimeout
    ) async throws {
        var offset = 0
        do {
            _ = try await wait(.write(id), timeout: timeout) { state, effects throws(HTTP2StreamFailure) -> Bool? in
                try state.send(bytes, offset: &offset, endStream: endStream, on: id, &effects) ? true : nil
            }
        } catch {
            if case ReactorError.timedOut = error, !timeout.callDeadlinePassed, writeIsStuck() {
                // The writer has sat in one socket write, with a full queue behind it, for the
                // whole write timeout: the peer stopped reading, and every stream on this socket
                // is stuck with it. Before, the connection stayed in the pool with its writer
                // blocked for good (the writer's own write has no deadline), and each later call
                // picked it and timed out again. Closing interrupts the writer and frees the socket.
                close()
            }
            throw map(error, stream: id, phase: .request, timeout: timeout)
        }
    }

    /// Whether the writer is in a socket write while a full queue (``HTTP2Configuration/outboundHighWater``)
    /// waits behind it: the socket has not taken the batch before.
    private func writeIsStuck() -> Bool {
        state.withLock { $0.writerBusy && $0.outbound.count >= configuration.outboundHighWater }
    }

    /// The next response head on stream `id`. A failure ends the stream.
    nonisolated(nonsending) func readHead(
        on id: UInt32, returningContinue: Bool, timeout: IOTimeout
    ) async throws -> ResponseHead {
        do {
            return try await wait(.read(id), timeout: timeout) { state, _ throws(HTTP2StreamFailure) in
                try state.takeHead(on: id, returningContinue: returningContinue)
            }
        } catch {
            // Waiting for a 100 (Expect: 100-continue), running out of time only means the
            // exchange sends the body anyway (RFC 9110 §10.1.1): the stream must stay open for it.
            // Only a plain read timeout, not the call's deadline, which ends the call.
            if returningContinue, case ReactorError.timedOut = error, !timeout.callDeadlinePassed {
                throw map(error, stream: id, phase: .responseHead, timeout: timeout)
            }
            release(id)
            throw map(error, stream: id, phase: .responseHead, timeout: timeout)
        }
    }

    /// The next chunk of the response body on stream `id`, or its end. A failure ends the stream.
    nonisolated(nonsending) func readBody(
        on id: UInt32, timeout: IOTimeout
    ) async throws -> HTTP2ConnectionState.BodyRead {
        do {
            return try await wait(.read(id), timeout: timeout) { state, effects throws(HTTP2StreamFailure) in
                try state.takeBody(on: id, &effects)
            }
        } catch {
            release(id)
            throw map(error, stream: id, phase: .responseBody, timeout: timeout)
        }
    }

    /// Ends the exchange on stream `id`; see ``HTTP2ConnectionState/release(_:_:)``.
    func release(_ id: UInt32) {
        guard id != 0 else { return }
        update { state, effects in state.release(id, &effects) }
    }

    func interrupt(_ id: UInt32) {
        guard id != 0 else { return }
        update { state, effects in state.interrupt(id, &effects) }
    }

    /// Gives a failure, a timeout or a cancellation its meaning for the call.
    func map(_ error: any Error, stream id: UInt32, phase: ExchangePhase, timeout: IOTimeout) -> any Error {
        switch error {
        case let failure as HTTP2StreamFailure:
            let error = failure.error(stream: id, peer: peer, phase: phase)
            // What the retry stage needs to know, only before the head: after it, the call has
            // its response and the error goes to the body's reader as it is.
            guard phase != .responseBody else { return error }
            if failure.isRefusal { return UnprocessedRequest(error) }
            if case .extendedConnectDisabled = failure { return UpgradeUnavailable(error) }
            if case .reset = failure { return StreamResetByPeer(error) }
            return error
        case ReactorError.timedOut where timeout.callDeadlinePassed:
            return HTTPClientError(
                .timeout(.call), "The call timed out (callTimeout) while \(phase.description) from \(peer) over HTTP/2."
            )
        case ReactorError.timedOut:
            return HTTPClientError(.timeout(phase.timeout), "Timed out \(phase.description) from \(peer) over HTTP/2.")
        default:
            return error
        }
    }
}
