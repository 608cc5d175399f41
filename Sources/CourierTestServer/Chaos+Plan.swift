extension TestServer.Chaos {
    /// What a chaos server does for one request: the response it would send, and what goes
    /// wrong with it. Offsets count bytes on the wire, chunk framing included.
    public struct Plan: Sendable, Hashable, CustomStringConvertible {
        /// Bytes in the body of the complete response (see ``TestServer/Chaos/body(of:)``).
        public let bodySize: Int
        public let framing: Framing
        public let fault: Fault
        /// Where the body starts in the seed's pattern.
        let bodyOffset: Int

        /// Whether the client is sent a complete, well-formed response, whose body it can check
        /// against ``TestServer/Chaos/body(of:)``; otherwise the call must fail.
        public var deliversResponse: Bool {
            switch fault {
            case .none, .closeAfterResponse, .trickle: true
            case .reset, .stall, .truncate, .corrupt: false
            }
        }

        public var description: String { "\(bodySize) bytes \(framing), \(fault)" }
    }

    /// How the body of the response is delimited.
    public enum Framing: Sendable, Hashable, CustomStringConvertible {
        case contentLength
        /// `Transfer-Encoding: chunked`, in chunks of `chunkSize` bytes (the last one shorter).
        case chunked(chunkSize: Int)

        public var description: String {
            switch self {
            case .contentLength: "with Content-Length"
            case .chunked(let chunkSize): "chunked by \(chunkSize)"
            }
        }
    }

    /// Where in the response a fault strikes.
    public enum Point: Sendable, Hashable, CustomStringConvertible {
        /// After the request is read, before any byte of the response.
        case beforeHead
        /// After `after` bytes of the head: at least one, never all of it.
        case inHead(after: Int)
        /// After the whole head and `after` bytes of the framed body: never all of it.
        case inBody(after: Int)

        public var description: String {
            switch self {
            case .beforeHead: "before the head"
            case .inHead(let count): "after \(count) bytes of the head"
            case .inBody(let count): "after \(count) bytes of the body"
            }
        }
    }

    /// What goes wrong with a response.
    public enum Fault: Sendable, Hashable, CustomStringConvertible {
        /// Nothing: the response is sent whole and the connection stays open.
        case none
        /// The response is sent whole, then the connection is closed without `Connection: close`,
        /// so a client that pools it holds a stale connection.
        case closeAfterResponse
        /// The first `pieces` pieces of `pieceSize` bytes go out `pause` apart, then the rest:
        /// the head and body arrive in many reads. The connection stays open.
        case trickle(pieceSize: Int, pieces: Int, pause: Duration)
        /// The response up to `at`, then a reset: an RST at once, and bytes the kernel had not
        /// sent yet are dropped, so the client may receive fewer. Over TLS no `close_notify`
        /// goes out first.
        case reset(at: Point)
        /// The response up to `at`, then nothing until the client closes the connection or
        /// ``TestServer/Chaos/stallLimit`` passes, after which the server closes it.
        case stall(at: Point)
        /// The response up to `at`, then a close (a FIN).
        case truncate(at: Point)
        /// A malformed response, then a close.
        case corrupt(Corruption)

        public var description: String {
            switch self {
            case .none: "complete"
            case .closeAfterResponse: "complete, then closed"
            case .trickle(let pieceSize, let pieces, let pause):
                "trickled: \(pieces) pieces of \(pieceSize) bytes \(pause) apart, then the rest"
            case .reset(let point): "reset \(point)"
            case .stall(let point): "stalled \(point)"
            case .truncate(let point): "closed \(point)"
            case .corrupt(let corruption): "corrupt: \(corruption)"
            }
        }
    }

    /// How a response breaks HTTP/1.1; each is a protocol violation a strict client must refuse.
    public enum Corruption: Sendable, Hashable, CustomStringConvertible {
        /// This line instead of the status line.
        case malformedStatusLine(String)
        /// This line among the header fields.
        case garbageInHeader(String)
        /// Two `Content-Length` fields: the body's length, and one more.
        case conflictingContentLength
        /// `Content-Length` beside `Transfer-Encoding: chunked`, as in request smuggling.
        case contentLengthAndChunked
        /// This line instead of the size line of chunk `chunk`, counting from 0 (the chunk after
        /// the last data chunk is the terminating `0` line).
        case bogusChunkSize(String, chunk: Int)

        public var description: String {
            switch self {
            case .malformedStatusLine(let line): "status line \(line.debugDescription)"
            case .garbageInHeader(let line): "header line \(line.debugDescription)"
            case .conflictingContentLength: "conflicting Content-Length values"
            case .contentLengthAndChunked: "Content-Length with Transfer-Encoding: chunked"
            case .bogusChunkSize(let line, let chunk): "chunk-size line \(line.debugDescription) for chunk \(chunk)"
            }
        }
    }
}
