package import CourierCore

/// One request and response over a pooled HTTP/1.1 connection.
///
/// Runs on the caller's task. A request held in memory goes out and its response head comes
/// back either from the caller's thread (plain TCP, idle reactor) or in one hop onto the
/// reactor; a streamed or file body is written from the caller's thread as far as the kernel
/// takes it, hopping only when it pushes back. The connection goes back to the pool when the body has been read (see
/// `HTTP1ResponseBody`), or is closed on any failure or cancellation.
package struct HTTP1Exchange: HTTPExchange {
    package let http1Connection: HTTP1Connection
    package let pool: ConnectionPool

    package init(connection: HTTP1Connection, pool: ConnectionPool) {
        self.http1Connection = connection
        self.pool = pool
    }

    package var connection: ConnectionInfo { http1Connection.info }

    package func send(_ request: HTTPRequest, call: CallContext) async throws -> HTTPResponse {
        let connection = http1Connection
        connection.beginExchange()
        call.exchangeStarted(reusedConnection: connection.exchangeCount > 1)
        let head: HTTP1Head
        let framing: HTTP1Framing
        let bodyUnsent: Bool
        do {
            let target = try request.target
            let requestHead = try HTTP1Serializer.requestHead(
                method: request.method, target: target.path, headers: request.headers)
            (head, bodyUnsent) = try await exchange(request, head: requestHead, call: call)
            framing = try HTTP1Framing.response(to: request.method, head: head)
        } catch {
            await release(reusable: false, call: call)
            throw error
        }
        guard case .status(let status) = head.startLine else {
            preconditionFailure("response parser returned a request line")
        }
        // A final response that came before a 100-continue body leaves the server expecting it.
        let reusable = head.keepAlive && !request.headers.containsToken("close", in: "Connection") && !bodyUnsent
        let decoder = HTTP1BodyDecoder(framing: framing, limits: connection.limits)
        var response = HTTPResponse(status: status, headers: head.headers, version: head.version, request: request)
        response.tlsHandshake = connection.info.tlsHandshake
        call.emit { $0.responseHeadersEnd($1, response: response) }
        call.emit { $0.responseBodyStart($1) }
        if decoder.isComplete {
            call.emit { $0.responseBodyEnd($1, byteCount: 0) }
            await release(reusable: reusable, call: call)
        } else {
            response.body = HTTPResponse.Body(
                source: HTTP1ResponseBody(
                    exchange: self,
                    decoder: decoder,
                    reusable: reusable && !decoder.isCloseDelimited,
                    call: call
                )
            )
        }
        return response
    }

    /// Ends the exchange: the connection goes back to the pool, or is closed.
    package func release(reusable: Bool, call: CallContext) async {
        await pool.release(http1Connection, reusable: reusable)
        call.emit { $0.connectionReleased($1, connection: http1Connection.info) }
    }

    /// Writes the request and reads the final response head. `bodyUnsent` is true when the
    /// server answered with a final status before the whole body was sent: after
    /// `Expect: 100-continue`, or early and closing (see `earlyAnswer`).
    private func exchange(
        _ request: HTTPRequest, head: ByteBuffer, call: CallContext
    ) async throws -> (HTTP1Head, bodyUnsent: Bool) {
        let connection = http1Connection
        let expectsContinue =
            request.body != nil
            && request.headers.containsToken("100-continue", in: "Expect")
        switch request.body?.storage {
        case .none:
            return try await exchangeInMemory(request, head: head, body: nil, call: call)
        case .bytes(let body) where !expectsContinue:
            return try await exchangeInMemory(request, head: head, body: body, call: call)
        case .failed(let error):
            throw error
        case .bytes, .stream, .file:
            do {
                try await withTaskExecutorPreference(connection.reactor) {
                    call.emit { $0.requestHeadersStart($1) }
                    try await connection.write(head, timeout: call.writeTimeout)
                    call.emit { $0.requestHeadersEnd($1, request: request) }
                }
            } catch {
                return (try await earlyAnswer(to: request, after: error, call: call), true)
            }
            if expectsContinue, let early = try await awaitContinue(call: call) {
                return (early, true)
            }
            call.emit { $0.requestBodyStart($1) }
            let sent: Int
            do {
                sent = try await writeBody(request.body!, call: call)
            } catch {
                return (try await earlyAnswer(to: request, after: error, call: call), true)
            }
            call.emit { $0.requestBodyEnd($1, byteCount: sent) }
            call.requestFullySent()
            let response = try await withTaskExecutorPreference(connection.reactor) {
                call.emit { $0.responseHeadersStart($1) }
                return try await connection.readResponseHead(timeout: call.readTimeout)
            }
            return (response, false)
        }
    }

    /// Writes a request held in memory (head and body in one gathered write) and reads the
    /// response head.
    ///
    /// Over plain TCP, when no other exchange is in progress on the reactor, this runs on the
    /// caller's thread: the syscalls are non-blocking, and a wait for the response parks the task
    /// in the reactor without waking it, so an exchange costs one thread hand-off (the reactor
    /// resuming the caller) instead of a hop there and back. With other exchanges in progress the
    /// reactor is busy: it takes the hop without a wake-up and handles many connections'
    /// readiness in one pass, so then the exchange runs pinned, as TLS always does (the reactor
    /// owns the OpenSSL state).
    private func exchangeInMemory(
        _ request: HTTPRequest, head: ByteBuffer, body: ByteBuffer?, call: CallContext
    ) async throws -> (HTTP1Head, bodyUnsent: Bool) {
        let connection = http1Connection
        @Sendable func run(
            writing write: (ByteBuffer, ByteBuffer) async throws -> Void
        ) async throws -> (HTTP1Head, bodyUnsent: Bool) {
            call.emit { $0.requestHeadersStart($1) }
            do {
                try await write(head, body ?? ByteBuffer())
            } catch {
                return (try await earlyAnswer(to: request, after: error, call: call), true)
            }
            call.emit { $0.requestHeadersEnd($1, request: request) }
            if let body {
                call.emit { $0.requestBodyStart($1) }
                call.emit { $0.requestBodyEnd($1, byteCount: body.count) }
            }
            call.requestFullySent()
            call.emit { $0.responseHeadersStart($1) }
            return (try await connection.readResponseHead(timeout: call.readTimeout), false)
        }
        let alone = connection.reactor.exchangeStarted()
        defer { connection.reactor.exchangeEnded() }
        guard connection.stream is Socket, alone else {
            return try await withTaskExecutorPreference(connection.reactor) {
                try await run { try await connection.write($0, $1, timeout: call.writeTimeout) }
            }
        }
        return try await run { try await connection.writeSoon($0, $1, timeout: call.writeTimeout) }
    }

    /// After writing the request failed with `error`: the server's response if it has already
    /// arrived whole, or else `error` rethrown.
    ///
    /// A server that rejects an upload (413, 401) often answers at once and closes without
    /// reading the body, and the client's next write then fails with a reset. The answer says far
    /// more than "connection reset", so, as curl and OkHttp do, the caller gets it. Only a reset
    /// qualifies: after any other failure the connection may already be closed.
    private func earlyAnswer(
        to request: HTTPRequest, after error: any Error, call: CallContext
    ) async throws -> HTTP1Head {
        let connection = http1Connection
        guard connection.writeFailedOnReset else { throw error }
        let early = await withTaskExecutorPreference(connection.reactor) {
            await connection.earlyResponse(to: request.method, timeout: call.readTimeout)
        }
        guard let early else {
            // Cancellation or the call's deadline, if either came meanwhile, says more than the reset.
            try connection.check(call.readTimeout, phase: .request)
            throw error
        }
        call.emit { $0.responseHeadersStart($1) }
        return early
    }

    /// Waits up to `expectContinueTimeout` for the server's verdict on an `Expect: 100-continue`
    /// request: nil means send the body (a 100 arrived, or nothing did in time); a head is a
    /// final response that makes the body unnecessary.
    private func awaitContinue(call: CallContext) async throws -> HTTP1Head? {
        let connection = http1Connection
        let timeout = IOTimeout(call.settings.expectContinueTimeout, callDeadline: call.deadline)
        return try await withTaskExecutorPreference(connection.reactor) {
            call.emit { $0.responseHeadersStart($1) }
            do {
                let head = try await connection.readResponseHead(timeout: timeout, returningContinue: true)
                if case .status(let status) = head.startLine, status.code == 100 { return nil }
                return head
            } catch let error as HTTPClientError where error.kind == .timeout(.read) {
                return nil
            }
        }
    }

    /// Writes a body that was not sent with the head and returns its length.
    private func writeBody(_ body: HTTPRequest.Body, call: CallContext) async throws -> Int {
        let connection = http1Connection
        let writer = RequestBodyWriter(
            connection: connection, declaredLength: body.length, timeout: call.writeTimeout)
        switch body.storage {
        case .bytes(let bytes):
            try await withTaskExecutorPreference(connection.reactor) {
                try await connection.write(bytes, timeout: call.writeTimeout)
            }
            return bytes.count
        case .stream(let stream):
            return try await writer.write(stream.makeReader())
        case .file(let url):
            return try await writer.write(try await FileChunkReader(url: url))
        case .failed(let error):
            throw error
        }
    }
}
