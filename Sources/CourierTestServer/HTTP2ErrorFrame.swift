/// A GOAWAY or RST_STREAM frame an HTTP/2 client sent the test server: which, on which stream
/// (0 for GOAWAY) and with which error code (RFC 9113 §7).
///
/// ```swift
/// #expect(server.http2ErrorFramesReceived.contains(HTTP2ErrorFrame(.goAway, code: .enhanceYourCalm)))
/// ```
public struct HTTP2ErrorFrame: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case goAway
        case rstStream
    }

    public var kind: Kind
    public var streamID: UInt32
    public var code: HTTP2Policy.ErrorCode

    public init(_ kind: Kind, streamID: UInt32 = 0, code: HTTP2Policy.ErrorCode) {
        self.kind = kind
        self.streamID = streamID
        self.code = code
    }

    init(_ kind: Kind, streamID: UInt32, code rawValue: UInt32) {
        self.init(kind, streamID: streamID, code: HTTP2Policy.ErrorCode(rawValue: rawValue))
    }

    public var description: String {
        switch kind {
        case .goAway: "GOAWAY(\(code))"
        case .rstStream: "RST_STREAM(\(streamID), \(code))"
        }
    }
}
