package import CourierCore

/// One request and response over a pooled HTTP/1.1 connection.
///
/// Runs on the caller's task and hops onto the connection's reactor only for the socket work:
/// once for a request held in memory (head and body in one gathered write, then the response
/// head), and once per chunk for a streamed or file body, whose chunks are pulled from user code
/// off the reactor. The connection goes back to the pool when the body has been read (see
/// `HTTP1ResponseBody`), or is closed on any failure or cancellation.
package struct HTTP1Exchange: HTTPExchange {
    package let connection: HTTP1Connection
    package let pool: ConnectionPool

    package init(connection: HTTP1Connection, pool: ConnectionPool) {
        self.connection = connection
        self.pool = pool
    }

    package var version: HTTPVersion { .http1_1 }

    package func send(_ request: HTTPRequest, settings: CallSettings) async throws -> HTTPResponse {
        let connection = self.connection
        connection.beginExchange()
        let head: HTTP1Head
        do {
            let target = try RequestTarget(request.url)
            let requestHead = try HTTP1Serializer.requestHead(
                method: request.method, target: target.path, headers: request.headers)
            head = try await exchange(request, head: requestHead, settings: settings)
        } catch {
            connection.close()
            await pool.release(connection, reusable: false)
            throw error
        }
        let framing: HTTP1Framing
        do {
            framing = try HTTP1Framing.response(to: request.method, head: head)
        } catch {
            connection.close()
            await pool.release(connection, reusable: false)
            throw error
        }
        guard case .status(let status) = head.startLine else {
            preconditionFailure("response parser returned a request line")
        }
        let reusable = head.keepAlive && !HTTP1Exchange.asksToClose(request.headers)
        let decoder = HTTP1BodyDecoder(framing: framing, limits: connection.limits)
        var response = HTTPResponse(status: status, headers: head.headers, version: head.version, request: request)
        if decoder.isComplete {
            await pool.release(connection, reusable: reusable)
        } else {
            response.body = HTTPResponse.Body(
                source: HTTP1ResponseBody(
                    connection: connection,
                    pool: pool,
                    decoder: decoder,
                    reusable: reusable && !decoder.isCloseDelimited,
                    readTimeout: settings.readTimeout
                )
            )
        }
        return response
    }

    /// Writes the request and reads the final response head.
    private func exchange(_ request: HTTPRequest, head: ByteBuffer, settings: CallSettings) async throws -> HTTP1Head {
        let connection = self.connection
        switch request.body?.storage {
        case .none:
            return try await withTaskExecutorPreference(connection.reactor) {
                try await connection.write(head, timeout: settings.writeTimeout)
                return try await connection.readResponseHead(timeout: settings.readTimeout)
            }
        case .bytes(let body):
            return try await withTaskExecutorPreference(connection.reactor) {
                try await connection.write(head, body, timeout: settings.writeTimeout)
                return try await connection.readResponseHead(timeout: settings.readTimeout)
            }
        case .failed(let error):
            throw error
        case .stream(let stream):
            let writer = RequestBodyWriter(
                connection: connection, declaredLength: request.body?.length, timeout: settings.writeTimeout)
            try await writer.write(head: head, chunks: stream.makeReader())
        case .file(let url):
            let writer = RequestBodyWriter(
                connection: connection, declaredLength: request.body?.length, timeout: settings.writeTimeout)
            try await writer.write(head: head, chunks: try await FileChunkReader(url: url))
        }
        return try await withTaskExecutorPreference(connection.reactor) {
            try await connection.readResponseHead(timeout: settings.readTimeout)
        }
    }

    private static func asksToClose(_ headers: HTTPHeaders) -> Bool {
        headers.values(for: "Connection").contains { value in
            value.split(separator: ",").contains { $0.trimmingWhitespace().lowercased() == "close" }
        }
    }
}
