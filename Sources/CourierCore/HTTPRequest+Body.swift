public import FoundationEssentials

extension HTTPRequest {
    /// What a request sends after its head.
    ///
    /// Bytes, strings and JSON are held in memory and can be sent again (on a retry or a
    /// 307/308 redirect); a stream can be sent once; a file is read from disk each time.
    public struct Body: Sendable {
        package enum Storage: Sendable {
            case bytes(ByteBuffer)
            case stream(ChunkStream)
            case file(URL)
            /// Encoding failed when the body was built; `send` throws this error.
            case failed(HTTPClientError)
        }

        package let storage: Storage
        /// The `Content-Type` the client sends when the request has none.
        public let contentType: String?
        /// The body's length in bytes when known up front; nil means it is sent chunked.
        public let length: Int?

        package init(storage: Storage, contentType: String?, length: Int?) {
            self.storage = storage
            self.contentType = contentType
            self.length = length
        }

        /// Raw bytes, sent as `application/octet-stream` unless the request names a type.
        public static func bytes(_ bytes: [UInt8], contentType: String? = nil) -> Body {
            Body(storage: .bytes(ByteBuffer(bytes)), contentType: contentType, length: bytes.count)
        }

        /// Bytes already in a buffer.
        public static func bytes(_ buffer: ByteBuffer, contentType: String? = nil) -> Body {
            Body(storage: .bytes(buffer), contentType: contentType, length: buffer.count)
        }

        /// A string, sent as UTF-8 (`text/plain; charset=utf-8` unless the request names a type).
        public static func string(_ string: String, contentType: String = "text/plain; charset=utf-8") -> Body {
            let bytes = ByteBuffer(string: string)
            return Body(storage: .bytes(bytes), contentType: contentType, length: bytes.count)
        }

        /// A value encoded as JSON now (`application/json`).
        ///
        /// An encoding failure does not throw here; `send` throws it as `.invalidRequest`, so a
        /// request can be built in one expression.
        public static func json(_ value: some Encodable, encoder: JSONEncoder = JSONEncoder()) -> Body {
            do {
                let data = try encoder.encode(value)
                return Body(
                    storage: .bytes(ByteBuffer([UInt8](data))), contentType: "application/json", length: data.count)
            } catch {
                return Body(
                    storage: .failed(
                        HTTPClientError(.invalidRequest, "The JSON request body failed to encode: \(error)")),
                    contentType: "application/json",
                    length: nil
                )
            }
        }

        /// Chunks produced by an async sequence, sent as they come with back-pressure.
        ///
        /// With a `length`, the request carries `Content-Length` and the stream must produce
        /// exactly that many bytes; without one, it is sent with chunked transfer coding.
        /// A stream can be sent only once, so such a request is not retried.
        public static func stream<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, length: Int?) -> Body
        where Chunks.Element == [UInt8] {
            Body(
                storage: .stream(ChunkStream { SequenceChunkReader(chunks) { ByteBuffer($0) } }), contentType: nil,
                length: length)
        }

        /// Chunks produced by an async sequence of buffers (for example another response's body).
        public static func stream<Chunks: AsyncSequence & Sendable>(_ chunks: Chunks, length: Int?) -> Body
        where Chunks.Element == ByteBuffer {
            Body(storage: .stream(ChunkStream { SequenceChunkReader(chunks) { $0 } }), contentType: nil, length: length)
        }

        /// The contents of a local file, read off the cooperative thread pool as it is sent.
        public static func file(_ url: URL, contentType: String? = nil) -> Body {
            Body(storage: .file(url), contentType: contentType ?? "application/octet-stream", length: nil)
        }

        /// Whether the body can be sent again after a failed attempt or a redirect.
        public var isReplayable: Bool {
            switch storage {
            case .bytes, .file, .failed: true
            case .stream(let stream): stream.isReplayable
            }
        }
    }
}

/// A request-body stream, type-erased; each call to `makeReader` starts a new iteration.
package struct ChunkStream: Sendable {
    package let makeReader: @Sendable () -> any ChunkReader
    /// Whether a new reader produces the same bytes again (a multipart body built from bytes
    /// and files), so the body can be resent; a user's async sequence cannot.
    package let isReplayable: Bool

    package init(isReplayable: Bool = false, _ makeReader: @escaping @Sendable () -> any ChunkReader) {
        self.isReplayable = isReplayable
        self.makeReader = makeReader
    }
}

/// Pulls the next chunk of a request body; used by one task at a time.
package protocol ChunkReader: AnyObject {
    func next() async throws -> ByteBuffer?
}

private final class SequenceChunkReader<Chunks: AsyncSequence>: ChunkReader {
    private var iterator: Chunks.AsyncIterator
    private let convert: (Chunks.Element) -> ByteBuffer

    init(_ chunks: Chunks, convert: @escaping (Chunks.Element) -> ByteBuffer) {
        self.iterator = chunks.makeAsyncIterator()
        self.convert = convert
    }

    func next() async throws -> ByteBuffer? {
        try await iterator.next().map(convert)
    }
}
