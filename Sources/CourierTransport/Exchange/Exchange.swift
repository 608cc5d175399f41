package import CourierCore

/// One request and its response over a codec, whatever the protocol: the events, the retry
/// facts, `Expect: 100-continue`, a body that fails or overruns its length, the early answer to
/// an upload, the hand-off of the response body and the release of the connection.
///
/// Runs on the caller's task. A request held in memory goes out and its response head comes
/// back in one hop onto the codec's executor, or on the caller's thread when the codec allows
/// (see ``ExchangeCodec/beginCallerThreadIO()``); a streamed or file body is written from the
/// caller's task, the codec hopping only when it must wait. The connection goes back to the pool
/// when the body has been read (see ``ExchangeResponseBody``), at once when the body came whole
/// with the head (HTTP/2's small responses), or is given up on any failure or cancellation.
package struct Exchange: HTTPExchange {
    package let codec: any ExchangeCodec
    package let pooled: any PooledConnection
    package let pool: ConnectionPool

    package init(codec: any ExchangeCodec, connection: any PooledConnection, pool: ConnectionPool) {
        self.codec = codec
        self.pooled = connection
        self.pool = pool
    }

    package var connection: ConnectionInfo { codec.connection }

    package func send(_ request: HTTPRequest, call: CallContext) async throws -> HTTPResponse {
        let address = codec.connection.route.address
        var leave: (@Sendable () async -> Void)?
        if address.host != (try? request.target.host) {
            let (pool, pooled) = (self.pool, self.pooled)
            leave = { await pool.stopCoalescing(pooled) }
        }
        call.exchangeStarted(
            reusedConnection: codec.begin(), forwardingProxy: address.isForwardedByProxy ? address.proxy : nil,
            leaveCoalescedConnection: leave)
        let head: ResponseHead
        let hasBody: Bool
        do {
            (head, hasBody) = try await exchange(request, call: call)
        } catch {
            codec.cancel()
            await release(reusable: false, call: call)
            switch error {
            case let unprocessed as UnprocessedRequest:
                call.requestUnprocessed()
                throw unprocessed.error
            case let reset as StreamResetByPeer:
                call.exchangeResetByPeer()
                throw reset.error
            default:
                throw error
            }
        }
        var response = HTTPResponse(status: head.status, headers: head.headers, version: head.version, request: request)
        response.tlsHandshake = codec.connection.tlsHandshake
        call.emit { $0.responseHeadersEnd($1, response: response) }
        call.emit { $0.responseBodyStart($1) }
        let switched = mayHaveSwitched(request, head) ? switchedStream(after: head) : nil
        if let switched {
            // openResponseBody let a 101 through only because the request asked to upgrade.
            if switched.ownsConnection { await pool.detach(pooled) }
            response.switchedConnection = switched
            call.emit { $0.responseBodyEnd($1, byteCount: 0) }
        } else if hasBody, let whole = codec.takeWholeBody() {
            call.emit { $0.responseBodyEnd($1, byteCount: whole.count) }
            await release(reusable: codec.isReusable, call: call)
            response.body = HTTPResponse.Body(source: WholeResponseBody(whole))
        } else if hasBody {
            response.body = HTTPResponse.Body(source: ExchangeResponseBody(exchange: self, call: call))
        } else {
            call.emit { $0.responseBodyEnd($1, byteCount: 0) }
            await release(reusable: codec.isReusable, call: call)
        }
        return response
    }

    /// Only a request that asked to upgrade (`Upgrade`, which HTTP/2 sends as extended CONNECT)
    /// can switch protocols; every other exchange skips building the closure a switch needs.
    private func mayHaveSwitched(_ request: HTTPRequest, _ head: ResponseHead) -> Bool {
        head.status.code == 101 || request.headers.contains("Upgrade")
    }

    private func switchedStream(after head: ResponseHead) -> SwitchedStream? {
        let (pool, pooled, codec) = (self.pool, self.pooled, self.codec)
        return codec.switchProtocols(after: head) {
            Task { await pool.release(pooled, reusable: codec.isReusable) }
        }
    }

    /// Ends the exchange: the connection goes back to the pool, or is given up.
    package func release(reusable: Bool, call: CallContext) async {
        await pool.release(pooled, reusable: reusable)
        call.emit { $0.connectionReleased($1, connection: codec.connection) }
    }

    /// Writes the request, reads the final response head and opens the body
    /// (``opened(_:for:bodyUnsent:)``).
    private func exchange(_ request: HTTPRequest, call: CallContext) async throws -> (ResponseHead, hasBody: Bool) {
        let expectsContinue =
            request.body != nil
            && request.headers.containsToken("100-continue", in: "Expect")
        try codec.prepareRequestHead(request)
        switch request.body?.storage {
        case .none:
            return try await exchangeInMemory(request, body: nil, call: call)
        case .bytes(let body) where !expectsContinue:
            return try await exchangeInMemory(request, body: body, call: call)
        case .failed(let error):
            throw error
        case .bytes, .stream, .file:
            let codec = self.codec
            do {
                try await withTaskExecutorPreference(codec.executor) {
                    call.emit { $0.requestHeadersStart($1) }
                    try await codec.writeRequestHead(
                        request, body: nil, endOfRequest: false, timeout: call.writeTimeout)
                    call.emit { $0.requestHeadersEnd($1, request: request) }
                }
            } catch {
                let head = try await earlyAnswer(to: request, after: error, call: call)
                return try opened(head, for: request, bodyUnsent: true)
            }
            if expectsContinue, let early = try await awaitContinue(call: call) {
                return try opened(early, for: request, bodyUnsent: true)
            }
            call.emit { $0.requestBodyStart($1) }
            let sent: Int
            do {
                sent = try await writeBody(request.body!, call: call)
            } catch {
                let head = try await earlyAnswer(to: request, after: error, call: call)
                return try opened(head, for: request, bodyUnsent: true)
            }
            call.emit { $0.requestBodyEnd($1, byteCount: sent) }
            call.requestFullySent()
            return try await withTaskExecutorPreference(codec.executor) {
                // After `Expect: 100-continue` the wait for the interim response reported it.
                if !expectsContinue { call.emit { $0.responseHeadersStart($1) } }
                let head = try await codec.readResponseHead(timeout: call.readTimeout, returningContinue: false)
                return try opened(head, for: request, bodyUnsent: false)
            }
        }
    }

    /// The final head and whether a body follows, opened by the codec where the head was read:
    /// on the connection's executor for most exchanges, so that an HTTP/2 stream's state is not
    /// fought over with the connection's reader. `bodyUnsent` is true when the server answered
    /// before the whole request body was sent: after `Expect: 100-continue`, or early, as it
    /// stopped reading (see ``ExchangeCodec/responseAfterWriteFailure(_:request:timeout:)``).
    private func opened(
        _ head: ResponseHead, for request: HTTPRequest, bodyUnsent: Bool
    ) throws -> (ResponseHead, hasBody: Bool) {
        (head, try codec.openResponseBody(for: request, head: head, requestComplete: !bodyUnsent))
    }

    /// Writes a request held in memory (head and body together) and reads the response head,
    /// on the caller's thread when the codec allows it, else pinned to the codec's executor.
    private func exchangeInMemory(
        _ request: HTTPRequest, body: ByteBuffer?, call: CallContext
    ) async throws -> (ResponseHead, hasBody: Bool) {
        let codec = self.codec
        @Sendable func run() async throws -> (ResponseHead, hasBody: Bool) {
            call.emit { $0.requestHeadersStart($1) }
            do {
                try await codec.writeRequestHead(request, body: body, endOfRequest: true, timeout: call.writeTimeout)
            } catch {
                let head = try await earlyAnswer(to: request, after: error, call: call)
                return try opened(head, for: request, bodyUnsent: true)
            }
            call.emit { $0.requestHeadersEnd($1, request: request) }
            if let body {
                call.emit { $0.requestBodyStart($1) }
                call.emit { $0.requestBodyEnd($1, byteCount: body.count) }
            }
            call.requestFullySent()
            call.emit { $0.responseHeadersStart($1) }
            let head = try await codec.readResponseHead(timeout: call.readTimeout, returningContinue: false)
            return try opened(head, for: request, bodyUnsent: false)
        }
        let onCallerThread = codec.beginCallerThreadIO()
        defer { codec.endCallerThreadIO() }
        guard onCallerThread else {
            return try await withTaskExecutorPreference(codec.executor) { try await run() }
        }
        return try await run()
    }

    /// After writing the request failed with `error`: the server's response if it has already
    /// arrived whole, or else `error` rethrown. A server that rejects an upload (413, 401) often
    /// answers at once and stops reading; that answer says far more than "connection reset".
    private func earlyAnswer(
        to request: HTTPRequest, after error: any Error, call: CallContext
    ) async throws
        -> ResponseHead
    {
        let codec = self.codec
        let head = try await withTaskExecutorPreference(codec.executor) {
            try await codec.responseAfterWriteFailure(error, request: request, timeout: call.readTimeout)
        }
        call.emit { $0.responseHeadersStart($1) }
        return head
    }

    /// Waits up to `expectContinueTimeout` for the server's verdict on an `Expect: 100-continue`
    /// request: nil means send the body (a 100 arrived, or nothing did in time); a head is a
    /// final response that makes the body unnecessary.
    private func awaitContinue(call: CallContext) async throws -> ResponseHead? {
        let codec = self.codec
        let timeout = IOTimeout(call.settings.expectContinueTimeout, callDeadline: call.deadline)
        return try await withTaskExecutorPreference(codec.executor) {
            call.emit { $0.responseHeadersStart($1) }
            do {
                let head = try await codec.readResponseHead(timeout: timeout, returningContinue: true)
                return head.status.code == 100 ? nil : head
            } catch let error as HTTPClientError where error.kind == .timeout(.read) {
                return nil
            }
        }
    }

    /// Writes a body that was not sent with the head and returns its length; a body that
    /// produces more or fewer bytes than it declared is an error, never a corrupt message.
    private func writeBody(_ body: HTTPRequest.Body, call: CallContext) async throws -> Int {
        let timeout = call.writeTimeout
        let chunks: any ChunkReader
        switch body.storage {
        case .bytes(let bytes):
            try await codec.writeRequestBody(bytes, timeout: timeout)
            try await codec.finishRequest(timeout: timeout)
            return bytes.count
        case .stream(let stream):
            chunks = stream.makeReader()
        case .file(let url):
            chunks = try await FileChunkReader(url: url)
        case .failed(let error):
            throw error
        }
        let declaredLength = body.length
        var sent = 0
        while true {
            let chunk: ByteBuffer?
            do {
                chunk = try await chunks.next()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw HTTPClientError(.requestBodyFailed, "Reading the request body failed: \(error).")
            }
            guard let chunk else { break }
            guard !chunk.isEmpty else { continue }
            sent += chunk.count
            if let declaredLength, sent > declaredLength {
                throw HTTPClientError(
                    .invalidRequest,
                    "The request body produced more than its declared length of \(declaredLength) bytes.")
            }
            try await codec.writeRequestBody(chunk, timeout: timeout)
        }
        if let declaredLength, sent != declaredLength {
            throw HTTPClientError(
                .invalidRequest,
                "The request body produced \(sent) bytes but declared a length of \(declaredLength)."
            )
        }
        try await codec.finishRequest(timeout: timeout)
        return sent
    }
}
