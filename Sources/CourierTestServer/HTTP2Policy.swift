/// How the test server answers one request over HTTP/2: normally, or with a scripted fault.
///
/// Set it on a ``MockResponse`` with ``MockResponse/http2(_:)``. HTTP/1.1 ignores it, as HTTP/2
/// ignores ``MockResponse/socketPolicy``. Faults that concern the whole connection (GOAWAY after
/// N streams, withheld WINDOW_UPDATEs, a late SETTINGS ACK) are ``HTTP2Options``.
///
/// ```swift
/// server.enqueue(MockResponse().http2(.resetAtStart(.refusedStream)))
/// server.enqueue(MockResponse(body: "partial").http2(.stallAfterHeaders))
/// server.enqueue(MockResponse().http2(.frames { writer in
///     try await writer.write(.windowUpdate(streamID: 0, increment: 0x7FFF_FFFF))   // past 2^31 - 1
/// }))
/// ```
public enum HTTP2Policy: Sendable {
    /// HEADERS, DATA within the client's flow-control windows, then trailers if the response has
    /// them; END_STREAM on the last frame.
    case respond
    /// RST_STREAM with `code` instead of a response. In queue mode the stream is reset as soon as
    /// its HEADERS arrive, before any body is read; with a handler, once the handler has answered.
    /// The request is recorded either way (with the body read so far).
    case resetAtStart(ErrorCode)
    /// The response HEADERS, then nothing more on this stream: the client waits for DATA.
    case stallAfterHeaders
    /// Nothing at all on this stream; the connection goes on serving others.
    case noResponse
    /// Whatever `script` writes, instead of a response: raw frames on this stream or any other,
    /// for tests of a hostile server. The server's own bookkeeping (windows, stream states, HPACK
    /// tables) does not see them. The stream stays open until the client resets it or the
    /// connection ends.
    case frames(@Sendable (HTTP2FrameWriter) async throws -> Void)

    /// An HTTP/2 error code (RFC 9113 §7) for RST_STREAM and GOAWAY frames the server sends.
    public struct ErrorCode: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: UInt32

        public init(rawValue: UInt32) {
            self.rawValue = rawValue
        }

        public static let noError = ErrorCode(rawValue: 0x0)
        public static let protocolError = ErrorCode(rawValue: 0x1)
        public static let internalError = ErrorCode(rawValue: 0x2)
        public static let flowControlError = ErrorCode(rawValue: 0x3)
        public static let settingsTimeout = ErrorCode(rawValue: 0x4)
        public static let streamClosed = ErrorCode(rawValue: 0x5)
        public static let frameSizeError = ErrorCode(rawValue: 0x6)
        public static let refusedStream = ErrorCode(rawValue: 0x7)
        public static let cancel = ErrorCode(rawValue: 0x8)
        public static let compressionError = ErrorCode(rawValue: 0x9)
        public static let enhanceYourCalm = ErrorCode(rawValue: 0xB)
        public static let http11Required = ErrorCode(rawValue: 0xD)

        public var description: String { "0x" + String(rawValue, radix: 16) }
    }
}
