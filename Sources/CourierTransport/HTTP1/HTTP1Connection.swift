package import CourierCore

/// A client HTTP/1.1 connection: a socket, the bytes read from it, and the rules for reuse.
///
/// Its methods run pinned to the socket's reactor, or on the caller's thread over plain TCP (see
/// `HTTP1Codec`). One exchange uses it at a time; the pool (an actor) hands it from one
/// exchange to the next, which orders all accesses and makes the `@unchecked Sendable` safe.
package final class HTTP1Connection: PooledConnection, @unchecked Sendable, CustomStringConvertible {
    /// The socket, or TLS over it.
    package let stream: any ByteStream
    /// The socket when `stream` is plain TCP, whose writes may run on the caller's thread; nil
    /// under TLS. Kept rather than cast from `stream` at every write.
    let plainSocket: Socket?
    package let reactor: Reactor
    package let info: ConnectionInfo
    package let limits: HTTP1Limits
    var buffer = ReceiveBuffer()
    /// Exchanges this connection has carried, counting the current one.
    package private(set) var exchangeCount = 0
    /// A write failed because the peer reset the connection or closed its reading side: the one
    /// failure after which what the peer sent before may still be read (see `earlyResponse`).
    private(set) var writeFailedOnReset = false

    package init(
        stream: any ByteStream, route: Route, tlsHandshake: TLSHandshake? = nil, limits: HTTP1Limits = HTTP1Limits()
    ) {
        self.stream = stream
        self.plainSocket = stream as? Socket
        self.reactor = stream.reactor
        self.info = ConnectionInfo(
            id: ConnectionIDs.next(),
            route: route,
            version: .http1_1,
            tlsHandshake: tlsHandshake
        )
        self.limits = limits
    }

    package var description: String { info.description }

    /// One exchange at a time.
    package var exchangeCapacity: Int { 1 }

    package var isMultiplexed: Bool { false }

    package func makeCodec() -> any ExchangeCodec {
        HTTP1Codec(connection: self)
    }

    /// Whether an idle connection can take another exchange: open, with nothing unread from the peer.
    package var isHealthy: Bool { buffer.readableCount == 0 && stream.isHealthy }

    private var peer: String { "\(info.route.address.host):\(info.route.address.port)" }

    package func close() {
        stream.close()
    }

    func beginExchange() {
        exchangeCount += 1
    }

    /// Writes `first` then `second` from the caller's thread as far as the kernel takes them now,
    /// and hops onto the reactor only for the rest. Most request-body chunks then need no hop at
    /// all; waits still happen on the reactor. TLS always goes through the reactor.
    nonisolated(nonsending) func writeSoon(_ first: ByteBuffer, _ second: ByteBuffer, timeout: IOTimeout) async throws {
        var sent = 0
        if let socket = plainSocket {
            do {
                try timeout.check()
                sent = try socket.writeWithoutWaiting(first, second)
            } catch {
                throw writeFailure(error, timeout: timeout)
            }
        }
        guard sent < first.count + second.count else { return }
        let firstRest = first.slice(from: min(sent, first.count), count: first.count - min(sent, first.count))
        let secondSent = max(0, sent - first.count)
        let secondRest = second.slice(from: secondSent, count: second.count - secondSent)
        // An exchange pinned to the reactor (as TLS always is) writes there without pushing the
        // preference again: each push and pop takes the task's status-record lock.
        guard !reactor.isCurrent else { return try await write(firstRest, secondRest, timeout: timeout) }
        try await withTaskExecutorPreference(reactor) {
            try await write(firstRest, secondRest, timeout: timeout)
        }
    }

    nonisolated(nonsending) private func write(
        _ first: ByteBuffer, _ second: ByteBuffer, timeout: IOTimeout
    ) async throws {
        do {
            try timeout.check()
            try await stream.write(first, second, deadline: timeout.deadline)
        } catch {
            throw writeFailure(error, timeout: timeout)
        }
    }

    private func writeFailure(_ error: any Error, timeout: IOTimeout) -> any Error {
        if let error = error as? SocketError, error.isConnectionReset { writeFailedOnReset = true }
        return mapError(error, phase: .request, timeout: timeout)
    }

    /// Reads response heads until a final one, skipping 1xx interim responses (but returning a
    /// 100 Continue when `returningContinue`).
    ///
    /// Interim responses are bounded: together they may take at most `maxHeadBytes`, as one head
    /// may, so a server cannot keep a call busy (or a core spinning) with an endless run of
    /// `100 Continue`; that still leaves room for thousands of `102 Processing` in a long call.
    nonisolated(nonsending) func readResponseHead(
        timeout: IOTimeout, returningContinue: Bool = false
    ) async throws -> HTTP1Head {
        var parser = HTTP1HeadParser(role: .response, limits: limits)
        var interimBytes = 0
        while true {
            try check(timeout, phase: .responseHead)
            let parsed = try buffer.withReadableBytes { (bytes) throws(HTTPClientError) in try parser.parse(bytes) }
            if let (head, used) = parsed {
                buffer.skip(used)
                guard case .status(let status) = head.startLine, status.isInformational, status.code != 101,
                    !(returningContinue && status.code == 100)
                else {
                    return head
                }
                interimBytes += used
                if interimBytes > limits.maxHeadBytes {
                    throw HTTPClientError.protocolViolation(
                        .headersTooLarge,
                        "\(peer) sent more than \(limits.maxHeadBytes) bytes of interim (1xx) responses.")
                }
                continue
            }
            let unread = buffer.readableCount
            let count: Int
            do {
                count = try await stream.read(into: &buffer, deadline: timeout.deadline)
            } catch {
                throw mapError(error, phase: .responseHead, timeout: timeout)
            }
            if count == 0 {
                throw HTTPClientError(
                    .connectionClosed,
                    unread == 0
                        ? "\(peer) closed the connection without sending a response."
                        : "\(peer) closed the connection after \(unread) bytes of the response head."
                )
            }
        }
    }

    /// The complete response a server sent before it stopped reading the request, or nil.
    ///
    /// Called only after a write failed on a reset (`writeFailedOnReset`), so the descriptor is
    /// still this connection's. The kernel keeps what it received before a reset readable, so
    /// this reads to the end of the stream (at most `maxHeadBytes` plus `maxEarlyBodyBytes`) and
    /// answers only if a final head and its whole body are there: a response cut short is no
    /// answer, and the write's error stands. A close-delimited body never qualifies: after a reset
    /// the failed write has taken the socket's error, so `recv` reports a plain end of stream
    /// whether or not the server finished sending.
    nonisolated(nonsending) func earlyResponse(to method: HTTPMethod, timeout: IOTimeout) async -> HTTP1Head? {
        let limit = limits.maxHeadBytes + HTTP1Connection.maxEarlyBodyBytes
        while buffer.readableCount < limit {
            guard (try? timeout.check()) != nil,
                let count = try? await stream.read(into: &buffer, deadline: timeout.deadline), count > 0
            else { break }
        }
        guard let head = try? await readResponseHead(timeout: timeout),
            let framing = try? HTTP1Framing.response(to: method, head: head)
        else { return nil }
        var decoder = HTTP1BodyDecoder(framing: framing, limits: limits)
        var rest = buffer
        while true {
            switch try? decoder.next(&rest) {
            case .data: continue
            case .end: return head
            case .needMore, nil: return nil
            }
        }
    }

    /// How much of an early response's body is read while deciding whether it arrived whole:
    /// such answers (413, 401, 400) are short.
    static let maxEarlyBodyBytes = 1 << 20

    /// Reads until `decoder` yields data or the end; on the reactor.
    nonisolated(nonsending) func readBody(
        _ decoder: inout HTTP1BodyDecoder, timeout: IOTimeout
    ) async throws -> ByteBuffer? {
        while true {
            switch try decoder.next(&buffer) {
            case .data(let chunk): return chunk
            case .end: return nil
            case .needMore: break
            }
            let count: Int
            do {
                try timeout.check()
                count = try await stream.read(into: &buffer, deadline: timeout.deadline)
            } catch {
                throw mapError(error, phase: .responseBody, timeout: timeout)
            }
            if count == 0 {
                if decoder.isCloseDelimited && stream.isTruncated {
                    throw HTTPClientError.protocolViolation(
                        .truncatedBody,
                        "\(peer) ended a close-delimited body without a TLS close_notify: the body may be cut short."
                    )
                }
                try decoder.endOfStream()
                return nil
            }
        }
    }

    /// Throws, with its HTTP meaning, if the task was cancelled or the call's deadline passed.
    func check(_ timeout: IOTimeout, phase: ExchangePhase) throws {
        do {
            try timeout.check()
        } catch {
            throw mapError(error, phase: phase, timeout: timeout)
        }
    }

    /// Gives a system or reactor failure its HTTP meaning, naming the peer and the phase.
    ///
    /// The kind follows the phase, not the TCP details (``ExchangePhase/lostKind``); the message
    /// says which it was.
    func mapError(_ error: any Error, phase: ExchangePhase, timeout: IOTimeout) -> any Error {
        let gone = phase.lostKind
        switch error {
        case let error as SocketError where error.isConnectionReset:
            return HTTPClientError(gone, "\(peer) reset the connection while \(phase.description).")
        case let error as SocketError:
            return HTTPClientError(gone, "The connection to \(peer) failed while \(phase.description): \(error).")
        case ReactorError.timedOut where timeout.callDeadlinePassed:
            return HTTPClientError(
                .timeout(.call), "The call timed out (callTimeout) while \(phase.description) from \(peer).")
        case ReactorError.timedOut:
            return HTTPClientError(.timeout(phase.timeout), "Timed out \(phase.description) from \(peer).")
        case ReactorError.closed:
            return HTTPClientError(gone, "The connection to \(peer) was closed while \(phase.description).")
        default:
            return error
        }
    }
}
