import CourierCore

/// The body of a response, read through its exchange's codec only when the consumer asks.
///
/// Reading it to the end returns the connection to the pool (if the codec says it can be
/// reused); a failure, a cancellation, `abandon()` or dropping the body early cancels the codec
/// (an HTTP/1.1 connection is closed, since unread bytes would corrupt the next exchange; an
/// HTTP/2 stream is reset).
///
/// One consumer at a time: `gate` turns a second concurrent reader into an error instead of a
/// data race, and is what makes the `@unchecked Sendable` safe; `abandon()` from another task
/// stops a read in flight through it.
final class ExchangeResponseBody: HTTPBodySource, @unchecked Sendable {
    private enum State {
        case streaming
        case finished
        case failed(any Error)
    }

    private let exchange: Exchange
    private let call: CallContext
    private var state = State.streaming
    private var byteCount = 0
    private let gate = BodyReadGate()

    init(exchange: Exchange, call: CallContext) {
        self.exchange = exchange
        self.call = call
    }

    private var codec: any ExchangeCodec { exchange.codec }

    deinit {
        guard case .streaming = state else { return }
        codec.cancel()
        let (exchange, call) = (self.exchange, self.call)
        Task { await exchange.release(reusable: false, call: call) }
    }

    var trailers: HTTPHeaders {
        guard case .finished = state else { return HTTPHeaders() }
        return codec.trailers ?? HTTPHeaders()
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
                outcome = .success(try await codec.readResponseBody(timeout: call.readTimeout))
            } catch {
                outcome = .failure(error)
            }
            interrupted = gate.endIO()
        }
        let result = await settle(outcome, interrupted: interrupted)
        while !gate.leave() { await abandonNow() }
        return try result.get()
    }

    /// Acts on a read's outcome: the end releases the connection, a failure or an abandon
    /// during the read closes it.
    private func settle(
        _ outcome: Result<ByteBuffer?, any Error>, interrupted: Bool
    ) async -> Result<ByteBuffer?, any Error> {
        guard case .streaming = state else { return outcome }
        if interrupted {
            await abandonNow()
            return .failure(ExchangeResponseBody.abandoned)
        }
        switch outcome {
        case .success(.some(let chunk)):
            byteCount += chunk.count
        case .success(.none):
            state = .finished
            call.emit { $0.responseBodyEnd($1, byteCount: byteCount) }
            await exchange.release(reusable: codec.isReusable, call: call)
        case .failure(let error):
            state = .failed(error)
            codec.cancel()
            await exchange.release(reusable: false, call: call)
        }
        return outcome
    }

    /// Stops the body here, even while another task is reading it: that read ends at once with
    /// an error, and the exchange is given up.
    func abandon() async {
        guard gate.enterAbandon(interrupt: { codec.interrupt() }) else { return }
        await abandonNow()
        while !gate.leave() { await abandonNow() }
    }

    /// Gives the exchange up unless the body already ended; by the gate's holder.
    private func abandonNow() async {
        guard case .streaming = state else { return }
        state = .failed(ExchangeResponseBody.abandoned)
        codec.cancel()
        await exchange.release(reusable: false, call: call)
    }

    /// What a read of a body given up before its end throws; ``WholeResponseBody`` throws it too.
    static let abandoned = HTTPClientError(
        .bodyAlreadyConsumed, "The response body was abandoned before its end.")
}
