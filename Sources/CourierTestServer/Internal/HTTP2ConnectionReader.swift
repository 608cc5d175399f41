import CourierCore
import CourierHTTP2
import CourierTransport

/// What only the reading side of an HTTP/2 test-server connection touches: the bytes read, the
/// frame and HPACK decoders, and whether the client has acknowledged the server's SETTINGS.
struct HTTP2ConnectionReader {
    var buffer: ReceiveBuffer
    private var decoder: HTTP2FrameDecoder
    private var hpack: HPACKDecoder
    private let options: HTTP2Options
    private var settingsAcknowledged = false

    init(buffer: ReceiveBuffer, options: HTTP2Options) {
        self.buffer = buffer
        self.options = options
        self.decoder = HTTP2FrameDecoder(role: .server, maxHeaderBlockSize: options.maxHeaderListSize)
        self.hpack = HPACKDecoder(maxHeaderListSize: options.maxHeaderListSize)
    }

    /// The next complete frame, or nil when more bytes are needed. A stream error is answered
    /// through `resetting` and decoding goes on; a connection error is thrown.
    mutating func nextFrame(
        resetting: (UInt32, HTTP2ErrorCode) -> Void
    ) throws(HTTP2ConnectionFailure)
        -> HTTP2Frame?
    {
        while true {
            do {
                return try decoder.nextFrame(from: &buffer)
            } catch {
                switch error.scope {
                case .connection: throw HTTP2ConnectionFailure(code: error.code, reason: error.description)
                case .stream(let streamID): resetting(streamID, error.code)
                }
            }
        }
    }

    /// Decodes a header block; any failure ends the connection, since the HPACK tables of the
    /// two sides no longer agree (§4.3).
    mutating func decode(_ block: ByteBuffer) throws(HTTP2ConnectionFailure) -> HTTPHeaders {
        do {
            return try block.withUnsafeBytes { (bytes) throws(HPACKError) in try hpack.decode(bytes) }
        } catch {
            throw HTTP2ConnectionFailure(code: .compressionError, reason: error.description)
        }
    }

    /// The client acknowledged the server's SETTINGS: its values now bind the client.
    mutating func settingsAcknowledgedByClient() {
        guard !settingsAcknowledged else { return }
        settingsAcknowledged = true
        decoder.maxFrameSize = Int(
            min(
                max(UInt32(clamping: options.maxFrameSize), HTTP2Setting.frameSizeRange.lowerBound),
                HTTP2Setting.frameSizeRange.upperBound))
        hpack.setMaxTableSize(options.headerTableSize)
    }
}
