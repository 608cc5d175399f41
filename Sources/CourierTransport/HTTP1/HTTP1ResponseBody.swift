import CourierCore

/// The body of an HTTP/1.1 response, read from the connection only when the consumer asks.
///
/// Reading it to the end returns the connection to the pool (if the response allows reuse);
/// a failure, a cancellation, `abandon()` or dropping the body early closes the connection,
/// since unread bytes would corrupt the next exchange.
///
/// One consumer at a time: `reader` turns a second concurrent reader into an error instead of a
/// data race, and is what makes the `@unchecked Sendable` safe.
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
    private let reader = SingleReader()

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
        try reader.enter()
        defer { reader.leave() }
        switch state {
        case .finished: return nil
        case .failed(let error): throw error
        case .streaming: break
        }
        do {
            // Checked before every chunk, buffered or not: a consumer reading a body that arrives
            // faster than it is read would otherwise never reach a wait that notices.
            try connection.check(call.readTimeout, phase: .responseBody)
            let chunk: ByteBuffer?
            // Bytes already buffered (often the whole of a small body) need no trip to the reactor.
            switch try decoder.next(&connection.buffer) {
            case .data(let data): chunk = data
            case .end: chunk = nil
            case .needMore: chunk = try await withTaskExecutorPreference(connection.reactor) { try await self.fill() }
            }
            guard let chunk else {
                state = .finished
                call.emit { $0.responseBodyEnd($1, byteCount: byteCount) }
                await exchange.release(reusable: reusable && decoder.isComplete, call: call)
                return nil
            }
            byteCount += chunk.count
            return chunk
        } catch {
            state = .failed(error)
            connection.close()
            await exchange.release(reusable: false, call: call)
            throw error
        }
    }

    /// Reads from the socket until a chunk or the end; on the reactor.
    private func fill() async throws -> ByteBuffer? {
        try await connection.readBody(&decoder, timeout: call.readTimeout)
    }

    func abandon() async {
        guard reader.tryEnter() else { return }
        defer { reader.leave() }
        guard case .streaming = state else { return }
        state = .failed(HTTPClientError(.bodyAlreadyConsumed, "The response body was abandoned before its end."))
        connection.close()
        await exchange.release(reusable: false, call: call)
    }
}
