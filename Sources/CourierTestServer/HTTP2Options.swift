/// How the test server speaks HTTP/2 on each of its connections: the SETTINGS it sends, the
/// limits it enforces, and faults that concern the whole connection.
///
/// Faults that concern one response are ``HTTP2Policy`` on a ``MockResponse``.
///
/// ```swift
/// var http2 = HTTP2Options()
/// http2.goAwayAfterStreams = 2          // GOAWAY naming the 2nd stream; later ones are ignored
/// http2.sendsWindowUpdates = false      // a client's upload stalls once its windows are spent
/// let server = try await TestServer(tls: tls, http2: http2)
/// ```
public struct HTTP2Options: Sendable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS. A stream past it is refused with RST_STREAM(REFUSED_STREAM).
    public var maxConcurrentStreams = 100
    /// SETTINGS_INITIAL_WINDOW_SIZE: how much request body each stream may send before the server
    /// returns credit with WINDOW_UPDATE. At most 2^31 - 1. The connection window stays 65535
    /// at the start, as RFC 9113 fixes it.
    public var initialWindowSize = 65_535
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame the client may send (16384...16777215).
    public var maxFrameSize = 16_384
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK table the client's encoder may use.
    public var headerTableSize = 4_096
    /// SETTINGS_MAX_HEADER_LIST_SIZE, enforced: a larger request header list, or a header block
    /// (with its CONTINUATION frames) larger than this, ends the connection.
    public var maxHeaderListSize = 256 << 10
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): extended CONNECT is accepted, so a
    /// ``MockResponse/webSocket(subprotocol:deflate:_:)`` answers a WebSocket over HTTP/2. False
    /// leaves the setting out, and a stream that names a `:protocol` anyway is reset.
    public var enablesConnectProtocol = true

    /// After the client has opened this many streams, GOAWAY with ``goAwayCode`` and the last of
    /// them as last-stream-id: those are answered, later streams are ignored, and the connection
    /// closes once the answered ones are done. Nil never sends GOAWAY for this reason.
    public var goAwayAfterStreams: Int?
    /// The code of the GOAWAY that ``goAwayAfterStreams`` sends.
    public var goAwayCode = HTTP2Policy.ErrorCode.noError
    /// False never returns flow-control credit: a request body larger than the windows stalls.
    public var sendsWindowUpdates = true
    /// Holds every SETTINGS ACK back this long (the client's SETTINGS_TIMEOUT territory).
    public var settingsAckDelay: Duration?
    /// Reads the client's frames but sends nothing, not even SETTINGS: a server that stalls.
    public var isSilent = false
    /// Runs right after the server's SETTINGS (before any request is answered), concurrently
    /// with the connection: raw frames for hostile tests (SETTINGS or PING floods, a
    /// WINDOW_UPDATE past 2^31 - 1). Its writer's ``HTTP2FrameWriter/streamID`` is 0.
    public var onConnect: (@Sendable (HTTP2FrameWriter) async throws -> Void)?

    public init() {}
}
