public import FoundationEssentials

extension HTTPResponse {
    /// A response body: an `AsyncSequence` of byte chunks pulled from the connection on demand.
    ///
    /// Nothing is read until you ask for the next chunk, so a slow consumer slows the server
    /// down through TCP flow control instead of filling memory. Read it once. Reading to the end
    /// returns the connection to the pool; dropping the response early closes the connection.
    ///
    /// ```swift
    /// for try await chunk in response.body { hasher.update(chunk) }
    /// let bytes = try await response.body.collect(upTo: 1 << 20)
    /// let user = try await response.body.decode(User.self)
    /// ```
    public struct Body: AsyncSequence, Sendable {
        public typealias Element = ByteBuffer
        public typealias Failure = any Error

        package enum Content: Sendable {
            case buffer(ByteBuffer)
            case source(any HTTPBodySource)
        }

        package let content: Content

        /// A body held in memory, for responses made by interceptors and tests.
        public init(_ bytes: ByteBuffer) {
            content = .buffer(bytes)
        }

        public init(bytes: [UInt8]) {
            content = .buffer(ByteBuffer(bytes))
        }

        public init(string: String) {
            content = .buffer(ByteBuffer(string: string))
        }

        package init(source: any HTTPBodySource) {
            content = .source(source)
        }

        public static var empty: Body { Body(ByteBuffer()) }

        /// The streaming source, if this body is still attached to a connection.
        package var source: (any HTTPBodySource)? {
            if case .source(let source) = content { return source }
            return nil
        }

        /// A streamed body can be iterated once: a second iteration — from a copy of the body,
        /// `collect` after a loop, a `string()` twice — throws `.bodyAlreadyConsumed` rather than
        /// quietly yielding nothing, or whatever the first one left unread.
        public func makeAsyncIterator() -> Iterator {
            if case .source(let source) = content, !source.beginIteration() {
                return Iterator(content: nil)
            }
            return Iterator(content: content)
        }

        public struct Iterator: AsyncIteratorProtocol {
            private var content: Content?
            private var refused: Bool

            fileprivate init(content: Content?) {
                self.content = content
                self.refused = content == nil
            }

            public mutating func next() async throws -> ByteBuffer? {
                if refused {
                    refused = false
                    throw HTTPClientError(
                        .bodyAlreadyConsumed, "The response body was already read: a streamed body can be read once.")
                }
                switch content {
                case .none:
                    return nil
                case .buffer(let buffer):
                    content = nil
                    return buffer.isEmpty ? nil : buffer
                case .source(let source):
                    guard let chunk = try await source.read() else {
                        content = nil
                        return nil
                    }
                    return chunk
                }
            }
        }

        /// Reads the whole body into an array.
        ///
        /// - Throws: `HTTPClientError` `.responseTooLarge` as soon as more than `limit` bytes
        ///   arrive; the rest is not read and the connection is closed.
        public func collect(upTo limit: Int) async throws -> [UInt8] {
            var bytes: [UInt8] = []
            for try await chunk in self {
                guard bytes.count + chunk.count <= limit else {
                    await source?.abandon()
                    throw HTTPClientError(
                        .responseTooLarge,
                        "The response body is larger than the limit of \(limit) bytes."
                    )
                }
                if bytes.isEmpty && chunk.count == chunk.storage.count {
                    bytes = chunk.storage
                } else {
                    bytes.append(contentsOf: chunk)
                }
            }
            return bytes
        }

        /// Reads the whole body and decodes it as UTF-8 (invalid sequences are replaced).
        public func string(upTo limit: Int = 16 << 20) async throws -> String {
            String(decoding: try await collect(upTo: limit), as: UTF8.self)
        }

        /// Reads the whole body and decodes it as JSON.
        public func decode<Value: Decodable>(
            _ type: Value.Type,
            decoder: JSONDecoder = JSONDecoder(),
            upTo limit: Int = 16 << 20
        ) async throws -> Value {
            try decoder.decode(type, from: Data(try await collect(upTo: limit)))
        }
    }
}

/// Where a streaming body's bytes come from: an HTTP/1.1 connection, an HTTP/2 stream, a decoder.
package protocol HTTPBodySource: AnyObject, Sendable {
    /// The next chunk, or nil at the end. Never returns an empty chunk.
    func read() async throws -> ByteBuffer?
    /// Stops reading early and frees what backs the body (the connection is closed, not pooled).
    /// Safe to call at any time, more than once, and after the end.
    func abandon() async
    /// The trailer fields that followed the body; empty until `read` has returned nil.
    var trailers: HTTPHeaders { get }
    /// True the first time it is asked, false after: whether an iteration may start. The
    /// source a caller's response ends in answers it; the others let every iteration start.
    func beginIteration() -> Bool
}

extension HTTPBodySource {
    package func beginIteration() -> Bool { true }
}
