package import CourierCore
package import CourierTransport
import Synchronization

/// One exchange on an HTTP/2 connection: one stream (RFC 9113 §8.1).
///
/// The stream is opened by ``writeRequestHead(_:body:endOfRequest:timeout:)``, and ends when the
/// body has been read to its end, when a read fails, or on ``cancel()``, which resets it with
/// RST_STREAM(CANCEL) and leaves the connection to other streams (hyper's and OkHttp's cancel
/// contract). Reads and writes wait on the connection's state, which its reader task changes;
/// they never touch the socket.
package final class HTTP2StreamCodec: ExchangeCodec {
    package let http2Connection: HTTP2Connection
    /// 0 until the stream is open, and again once this codec has freed it, so that a cancel, an
    /// interrupt or the deinit after the end does not take the connection's lock for nothing.
    /// Atomic because ``interrupt()`` may come from another task.
    private let streamID = Atomic<UInt32>(0)
    /// Whether the request asked for a tunnel (extended CONNECT): only then can the stream switch.
    private let asksForTunnel = Atomic<Bool>(false)
    /// What the stream left once it ended: its trailers, and its whole body when the response
    /// had ended by the time its head was read. One lock for both: they are read together.
    private let ended = Mutex<(body: HTTP2BodyBuffer?, trailers: HTTPHeaders?)>((nil, nil))
    private let begun = Atomic<Bool>(false)

    init(connection: HTTP2Connection) {
        self.http2Connection = connection
    }

    deinit {
        // An exchange that never ended its stream: free the slot.
        http2Connection.release(streamID.load(ordering: .relaxed))
    }

    private var id: UInt32 { streamID.load(ordering: .relaxed) }

    package var connection: ConnectionInfo { http2Connection.info }

    package var executor: any TaskExecutor { http2Connection.reactor }

    package func begin() -> Bool {
        begun.store(true, ordering: .relaxed)
        return http2Connection.beginExchange()
    }

    package var hasBegun: Bool { begun.load(ordering: .relaxed) }

    package func beginCallerThreadIO() -> Bool { false }

    package func endCallerThreadIO() {}

    nonisolated(nonsending) package func writeRequestHead(
        _ request: HTTPRequest, body: ByteBuffer?, endOfRequest: Bool, timeout: IOTimeout
    ) async throws {
        precondition(id == 0, "writeRequestHead called twice on one HTTP/2 stream")
        let body = body ?? ByteBuffer()
        let upgrade = HTTP2Fields.upgradeProtocol(of: request)
        asksForTunnel.store(upgrade != nil, ordering: .relaxed)
        let id = try await http2Connection.openStream(
            request, upgrade: upgrade, endStream: endOfRequest && body.isEmpty, timeout: timeout)
        streamID.store(id, ordering: .relaxed)
        if !body.isEmpty {
            try await http2Connection.send(body, endStream: endOfRequest, on: id, timeout: timeout)
        }
    }

    nonisolated(nonsending) package func writeRequestBody(_ chunk: ByteBuffer, timeout: IOTimeout) async throws {
        guard !chunk.isEmpty else { return }
        try await http2Connection.send(chunk, endStream: false, on: id, timeout: timeout)
    }

    nonisolated(nonsending) package func finishRequest(timeout: IOTimeout) async throws {
        try await http2Connection.send(ByteBuffer(), endStream: true, on: id, timeout: timeout)
    }

    nonisolated(nonsending) package func responseAfterWriteFailure(
        _ error: any Error, request: HTTPRequest, timeout: IOTimeout
    ) async throws -> ResponseHead {
        let id = self.id
        if id != 0, let head = http2Connection.update({ state, _ in state.finalHeadAfterWriteFailure(on: id) }) {
            return head
        }
        http2Connection.release(id)
        throw error
    }

    nonisolated(nonsending) package func readResponseHead(
        timeout: IOTimeout, returningContinue: Bool
    ) async throws -> ResponseHead {
        try await http2Connection.readHead(on: id, returningContinue: returningContinue, timeout: timeout)
    }

    package func openResponseBody(for request: HTTPRequest, head: ResponseHead, requestComplete: Bool) throws -> Bool {
        let id = self.id
        var freed = false
        let expectsBody = http2Connection.update { state, effects in
            // An accepted extended CONNECT has no body: its stream now carries another protocol.
            if state.isOpenTunnel(id) { return false }
            // A refused one is an ordinary response; this side has nothing more to send.
            if state.isTunnel(id) { state.endSending(on: id, &effects) }
            if !requestComplete { state.abandonRequest(on: id, &effects) }
            let expectsBody = state.expectsBody(on: id, status: head.status.code)
            if !expectsBody {
                ended.withLock { $0.trailers = state.trailers(on: id) }
                state.release(id, &effects)
                freed = true
            } else if let finished = state.takeEndedBody(on: id, &effects) {
                ended.withLock { $0 = (finished.body, finished.trailers) }
                freed = true
            }
            return expectsBody
        }
        if freed { streamID.store(0, ordering: .relaxed) }
        return expectsBody
    }

    package func takeWholeBody() -> ByteBuffer? {
        ended.withLock { ended in
            guard ended.trailers == nil, let whole = ended.body?.takeWhole() else { return nil }
            ended.body = nil
            return whole
        }
    }

    nonisolated(nonsending) package func readResponseBody(timeout: IOTimeout) async throws -> ByteBuffer? {
        let taken = ended.withLock { ended -> ByteBuffer?? in
            guard ended.body != nil else { return nil }
            return .some(ended.body!.take())
        }
        if let taken {
            // Checked for a body already here whole too, as HTTP/1.1 checks its buffered
            // chunks: a cancelled or timed-out call is not handed the rest of megabytes.
            if taken != nil {
                do {
                    try timeout.check()
                } catch {
                    throw http2Connection.map(error, stream: id, phase: .responseBody, timeout: timeout)
                }
            }
            return taken
        }
        switch try await http2Connection.readBody(on: id, timeout: timeout) {
        case .data(let chunk):
            return chunk
        case .end(let trailers):
            ended.withLock { $0.trailers = trailers }
            http2Connection.release(id)
            streamID.store(0, ordering: .relaxed)
            return nil
        }
    }

    package var trailers: HTTPHeaders? { ended.withLock { $0.trailers } }

    /// Always: a stream's end never makes its connection unusable, and the pool keeps a multiplexed
    /// connection whatever an exchange says: the connection itself reports draining and closing
    /// (``HTTP2ConnectionEvent``).
    package var isReusable: Bool { true }

    /// Nothing ahead: HPACK encodes heads in the order they go out, under the connection's lock.
    package func prepareRequestHead(_ request: HTTPRequest) {}

    /// HTTP/2 has no 101 (RFC 9113 §8.6): a stream that opened with extended CONNECT and got a
    /// 2xx switches instead (RFC 8441), and becomes a tunnel that this codec no longer ends.
    package func switchProtocols(after head: ResponseHead, done: @escaping @Sendable () -> Void) -> SwitchedStream? {
        let id = self.id
        guard asksForTunnel.load(ordering: .relaxed), id != 0,
            http2Connection.state.withLock({ $0.isOpenTunnel(id) })
        else { return nil }
        streamID.store(0, ordering: .relaxed)
        let tunnel = HTTP2StreamTunnel(connection: http2Connection, id: id, closed: done)
        return SwitchedStream(stream: tunnel, leftover: ReceiveBuffer(), info: connection, ownsConnection: false)
    }

    package func interrupt() {
        http2Connection.interrupt(id)
    }

    package func cancel() {
        http2Connection.release(id)
    }
}
