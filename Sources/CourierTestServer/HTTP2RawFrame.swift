import CourierCore
import CourierHTTP2

/// One HTTP/2 frame exactly as it goes on the wire (RFC 9113 §4.1), valid or not: for
/// ``HTTP2Policy/frames(_:)`` and ``HTTP2Options/onConnect`` scripts that play a hostile server.
///
/// ```swift
/// try await writer.write(.headers(streamID: writer.streamID, fields: [(":status", "200")], endHeaders: false))
/// for _ in 0..<10_000 { try await writer.write(.continuation(streamID: writer.streamID, fragment: [], endHeaders: false)) }
/// ```
public struct HTTP2RawFrame: Hashable, Sendable {
    public var type: UInt8
    public var flags: UInt8
    /// 31 bits are sent; the reserved bit is whatever the top bit holds.
    public var streamID: UInt32
    public var payload: [UInt8]

    public init(type: UInt8, flags: UInt8 = 0, streamID: UInt32, payload: [UInt8] = []) {
        self.type = type
        self.flags = flags
        self.streamID = streamID
        self.payload = payload
    }

    /// The 9-octet header then the payload. The length field holds the payload's count modulo
    /// 2^24.
    public var bytes: [UInt8] {
        let length = payload.count
        return [UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8)]
            + [UInt8(truncatingIfNeeded: length), type, flags] + streamID.bigEndianBytes + payload
    }

    public static func data(streamID: UInt32, _ bytes: [UInt8], endStream: Bool = false) -> HTTP2RawFrame {
        HTTP2RawFrame(type: 0x0, flags: endStream ? 0x1 : 0, streamID: streamID, payload: bytes)
    }

    /// HEADERS with `fields` HPACK-encoded without touching the connection's dynamic table
    /// (static-table indices and literals only), so the server's own later blocks still decode.
    public static func headers(
        streamID: UInt32, fields: [(String, String)], endStream: Bool = false, endHeaders: Bool = true
    ) -> HTTP2RawFrame {
        HTTP2RawFrame(
            type: 0x1, flags: (endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0), streamID: streamID,
            payload: headerBlock(fields))
    }

    public static func continuation(streamID: UInt32, fragment: [UInt8], endHeaders: Bool) -> HTTP2RawFrame {
        HTTP2RawFrame(type: 0x9, flags: endHeaders ? 0x4 : 0, streamID: streamID, payload: fragment)
    }

    public static func rstStream(streamID: UInt32, code: HTTP2Policy.ErrorCode) -> HTTP2RawFrame {
        HTTP2RawFrame(type: 0x3, streamID: streamID, payload: code.rawValue.bigEndianBytes)
    }

    /// SETTINGS with these (identifier, value) pairs; an ACK when `ack` (and then normally empty).
    public static func settings(
        _ parameters: [(identifier: UInt16, value: UInt32)], ack: Bool = false
    )
        -> HTTP2RawFrame
    {
        let payload = parameters.flatMap {
            [UInt8($0.identifier >> 8), UInt8($0.identifier & 0xFF)] + $0.value.bigEndianBytes
        }
        return HTTP2RawFrame(type: 0x4, flags: ack ? 0x1 : 0, streamID: 0, payload: payload)
    }

    /// PUSH_PROMISE on `streamID` for `promisedStreamID`, its request `fields` encoded as for
    /// ``headers(streamID:fields:endStream:endHeaders:)``.
    public static func pushPromise(
        streamID: UInt32, promisedStreamID: UInt32, fields: [(String, String)]
    )
        -> HTTP2RawFrame
    {
        HTTP2RawFrame(
            type: 0x5, flags: 0x4, streamID: streamID, payload: promisedStreamID.bigEndianBytes + headerBlock(fields))
    }

    public static func ping(_ opaque: UInt64 = 0, ack: Bool = false) -> HTTP2RawFrame {
        let high = UInt32(truncatingIfNeeded: opaque >> 32)
        return HTTP2RawFrame(
            type: 0x6, flags: ack ? 0x1 : 0, streamID: 0,
            payload: high.bigEndianBytes + UInt32(truncatingIfNeeded: opaque).bigEndianBytes)
    }

    public static func goAway(
        lastStreamID: UInt32, code: HTTP2Policy.ErrorCode, debugData: [UInt8] = []
    )
        -> HTTP2RawFrame
    {
        HTTP2RawFrame(
            type: 0x7, streamID: 0, payload: lastStreamID.bigEndianBytes + code.rawValue.bigEndianBytes + debugData)
    }

    /// WINDOW_UPDATE; any increment, including 0 or one that overflows the window.
    public static func windowUpdate(streamID: UInt32, increment: UInt32) -> HTTP2RawFrame {
        HTTP2RawFrame(type: 0x8, streamID: streamID, payload: increment.bigEndianBytes)
    }

    /// A header block from an encoder with an empty dynamic table, which therefore never adds to it.
    private static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        var encoder = HPACKEncoder(role: .server, maxTableSize: 0)
        var block: [UInt8] = []
        encoder.encode(HTTPHeaders(fields), into: &block)
        return block
    }
}

/// Sends raw bytes on one HTTP/2 connection of the test server, in order with the frames the
/// server writes itself (never inside one of them).
public struct HTTP2FrameWriter: Sendable {
    /// The stream of the request being answered; 0 in ``HTTP2Options/onConnect``.
    public let streamID: UInt32
    let send: @Sendable ([UInt8]) async throws -> Void

    /// Sends `frame`, returning once it is written to the socket.
    public func write(_ frame: HTTP2RawFrame) async throws {
        try await send(frame.bytes)
    }

    /// Sends arbitrary bytes (a frame cut short, garbage), returning once they are written.
    public func write(bytes: [UInt8]) async throws {
        try await send(bytes)
    }
}

extension UInt32 {
    fileprivate var bigEndianBytes: [UInt8] {
        [
            UInt8(truncatingIfNeeded: self >> 24), UInt8(truncatingIfNeeded: self >> 16),
            UInt8(truncatingIfNeeded: self >> 8), UInt8(truncatingIfNeeded: self),
        ]
    }
}
