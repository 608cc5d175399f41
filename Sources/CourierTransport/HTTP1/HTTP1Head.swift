package import CourierCore

/// A parsed HTTP/1.x message head: the start line and the header fields.
package struct HTTP1Head: Sendable, Equatable {
    package enum StartLine: Sendable, Equatable {
        case request(method: HTTPMethod, target: String)
        case status(HTTPStatus)
    }

    package var startLine: StartLine
    package var version: HTTPVersion
    package var headers: HTTPHeaders

    package init(startLine: StartLine, version: HTTPVersion, headers: HTTPHeaders) {
        self.startLine = startLine
        self.version = version
        self.headers = headers
    }

    /// Whether the connection stays open after this message (RFC 9112 §9.3): `close` ends it in
    /// any version, before `keep-alive` is looked at. An HTTP/1.0 message with
    /// `Transfer-Encoding` has faulty framing by RFC 9112 §6.1: whatever it says, the connection
    /// closes after it.
    package var keepAlive: Bool {
        switch version {
        case .http1_0:
            headers.containsToken("keep-alive", in: "Connection") && !headers.containsToken("close", in: "Connection")
                && !headers.contains("Transfer-Encoding")
        case .http1_1, .http2: !headers.containsToken("close", in: "Connection")
        }
    }
}

/// Limits that keep a hostile peer from using unbounded memory.
package struct HTTP1Limits: Sendable {
    /// Bytes of the start line and header fields together (OkHttp's default is 256 KiB).
    package var maxHeadBytes: Int
    package var maxHeaderCount: Int
    /// Bytes of a chunk-size line, including extensions.
    package var maxChunkLineBytes: Int

    /// Bytes of the status or request line.
    package var maxStartLineBytes: Int

    package init(
        maxHeadBytes: Int = 256 << 10,
        maxStartLineBytes: Int = 8192,
        maxHeaderCount: Int = 500,
        maxChunkLineBytes: Int = 4096
    ) {
        self.maxHeadBytes = maxHeadBytes
        self.maxStartLineBytes = maxStartLineBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxChunkLineBytes = maxChunkLineBytes
    }
}
