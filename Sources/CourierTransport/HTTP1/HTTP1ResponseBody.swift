import CourierCore

/// The body of an HTTP/1.1 response, read from the connection only when the consumer asks.
///
/// Reading it to the end returns the connection to the pool (if the response allows reuse);
/// a failure, a cancellation, `abandon()` or dropping the body early closes the connection,
/// since unread bytes would corrupt the next exchange.
///
/// One consumer at a time: `gate` turns a second concurrent reader into an error instead of a
/// data race, and is what makes the `@unchecked Sendable` safe; `abandon()` from another task
/// stops a read in flight through it.
final class HTTP1ResponseBody: HTTPBodySource, @unchecked Sendable {
    private enum State {
        case streaming
        case finished
        case failed(any Error)
    }

    private let exchange: HTTP1Exchange
    private var decoder: HTTP1BodyDecoder
    private let reusable: Bool
    private let call: CallContext
    private var state = State.streaming
    private var byteCount = 0
    private let gate = BodyReadGate()

    init(exchange: HTTP1Exchange, decoder: HTTP1BodyDecoder, reusable: Bool, call: CallContext) {
        self.exchange = exchange
        self.decoder = decoder
        self.reusable = reusable
        self.call = call
    }

    private var connection: HTTP1Connection { exchange.http1Connection }

    deinit {
        guard case .streaming = state else { return }
        connection.close()
        let (exchange, call) = (self.exchange, self.call)
        Task { await exchange.release(reusable: false, call: call) }
    }

    func read() async throws -> ByteBuffer? {
        try gate.enterRead()
        let outcome: Result<ByteBuffer?, any Error>
        var interrupted = false
        switch state {
        case .finished: outcome = .success(nil)
        case .failed(let error): outcome = .failure(error)
        case .streaming:
            // Interruptible only while the body streams: once finished or failed, its connection
            // belongs to the pool or is closed, and an abandon must not shut it down.
            guard gate.beginIO() else {
                interrupted = true
                outcome = .success(nil)
                break
            }
            do {
                outcome = .success(try await readChunk())
            } catch {
                outcome = .failure(error)
            }
            interrupted = gate.endIO()
        }
        let result = await settle(outcome, interrupted: interrupted)
        while !gate.leave() { await abandonNow() }
        return try result.get()
    }

    /// The next chunk, or nil at the end; I/O only, the connection's fate is left to `settle`.
    private func readChunk() async throws -> ByteBuffer? {
        // Bytes already buffered (often the whole of a small body) need no trip to the reactor.
        switch try decoder.next(&connection.buffer) {
        case .data(let data):
            // Checked for buffered chunks too (reads check for themselves): a consumer reading a
            // body that arrives faster than it reads would otherwise never reach a check.
            try connection.check(call.readTimeout, phase: .responseBody)
            return data
        case .end: return nil
        case .needMore: return try await withTaskExecutorPreference(connection.reactor) { try await self.fill() }
        }
    }

    /// Reads from the socket until a chunk or the end; on the reactor.
    private func fill() async throws -> ByteBuffer? {
        try await connection.readBody(&decoder, timeout: call.readTimeout)
    }

    /// Acts on a read's outcome: the end releases the connection, a failure or an abandon
    /// during the read closes it.
    private func settle(
        _ outcome: Result<ByteBuffer?, any Error>, interrupted: Bool
    ) async -> Result<ByteBuffer?, any Error> {
        guard case .streaming = state else { return outcome }
        if interrupted {
            await abandonNow()
            return .failure(HTTP1ResponseBody.abandoned)
        }
        switch outcome {
        case .success(.some(let chunk)):
            byteCount += chunk.count
        case .success(.none):
            state = .finished
            call.emit { $0.responseBodyEnd($1, byteCount: byteCount) }
            await exchange.release(reusable: reusable && decoder.isComplete, call: call)
        case .failure(let error):
            state = .failed(error)
            connection.close()
            await exchange.release(reusable: false, call: call)
        }
        return outcome
    }

    /// Stops the body here, even while another task is reading it: that read ends at once with
    /// an error, and the connection is closed.
    func abandon() async {
        guard gate.enterAbandon(interrupt: { connection.stream.interrupt() }) else { return }
        await abandonNow()
        while !gate.leave() { await abandonNow() }
    }

    /// Closes the connection unless the body already ended; by the gate's holder.
    private func abandonNow() async {
        guard case .streaming = state else { return }
        state = .failed(HTTP1ResponseBody.abandoned)
        connection.close()
        await exchange.release(reusable: false, call: call)
    }

    private static let abandoned = HTTPClientError(
        .bodyAlreadyConsumed, "The response body was abandoned before its end.")
}
