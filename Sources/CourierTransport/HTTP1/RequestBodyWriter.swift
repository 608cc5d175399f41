import CourierCore

/// Streams a request body that is not in memory: chunks are pulled off the reactor (they may
/// come from user code) and written from the same task as far as the socket takes them, the
/// reactor finishing any write the kernel pushes back on; chunk-framed when the length is unknown.
struct RequestBodyWriter {
    let connection: HTTP1Connection
    let declaredLength: Int?
    let timeout: IOTimeout

    /// Writes every chunk and returns the number of body bytes sent.
    func write(_ chunks: any ChunkReader) async throws -> Int {
        let connection = self.connection
        let timeout = self.timeout
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
            if declaredLength == nil {
                try await connection.writeSoon(HTTP1Serializer.chunkHeader(count: chunk.count), chunk, timeout: timeout)
                try await connection.writeSoon(HTTP1Serializer.chunkEnd, ByteBuffer(), timeout: timeout)
            } else {
                try await connection.writeSoon(chunk, ByteBuffer(), timeout: timeout)
            }
        }
        if let declaredLength, sent != declaredLength {
            throw HTTPClientError(
                .invalidRequest,
                "The request body produced \(sent) bytes but declared a length of \(declaredLength)."
            )
        }
        if declaredLength == nil {
            try await connection.writeSoon(HTTP1Serializer.lastChunk, ByteBuffer(), timeout: timeout)
        }
        return sent
    }
}
