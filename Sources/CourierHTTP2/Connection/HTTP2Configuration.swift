/// The settings a client HTTP/2 connection announces and the limits it keeps.
///
/// The defaults let one download run at full speed on a fast, distant link (4 MiB per stream is
/// 320 Mbit/s at 100 ms of round trip) while a stream whose consumer stalls holds at most its
/// own window in memory.
package struct HTTP2Configuration: Sendable, Hashable {
    /// SETTINGS_INITIAL_WINDOW_SIZE: what the server may send on a stream before the consumer
    /// has taken any of it.
    package var streamWindowSize = 4 << 20
    /// The connection's receive window, raised from the initial 65 535 by a WINDOW_UPDATE right
    /// after the preface.
    package var connectionWindowSize = 16 << 20
    /// SETTINGS_MAX_HEADER_LIST_SIZE, and the limit on a decoded header block.
    package var maxHeaderListSize = 256 << 10
    /// Streams opened at once when the server sets no SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113
    /// leaves it unlimited); a server's own value is also capped to this.
    package var maxConcurrentStreamsCap = 1000
    /// Sends a PING this often while streams are open; a PING not answered by the next one marks
    /// the connection degraded (no new streams; OkHttp's rule). Nil sends none.
    package var pingInterval: Duration?
    /// Control frames the server may send per ``floodWindow`` (SETTINGS, PING, RST_STREAM and
    /// DATA frames that are empty and do not end their stream) before the connection is closed
    /// with ENHANCE_YOUR_CALM (RFC 9113 §10.5).
    package var floodLimit = 1000
    package var floodWindow: Duration = .seconds(1)
    /// 1xx responses accepted on one stream.
    package var maxInterimResponses = 32
    /// Bytes of frames queued for the socket above which a request body waits for the writer.
    package var outboundHighWater = 1 << 20

    package init() {}
}

/// What the pool hears from an HTTP/2 connection, on the connection's reader task.
package enum HTTP2ConnectionEvent: Hashable, Sendable {
    /// The server changed SETTINGS_MAX_CONCURRENT_STREAMS.
    case capacityChanged
    /// No new streams: GOAWAY arrived, PINGs went unanswered, or stream identifiers ran out.
    /// Streams already open go on.
    case draining
    /// The connection is closed; every stream has ended.
    case closed
}
