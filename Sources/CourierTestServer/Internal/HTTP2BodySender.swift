import CourierCore

/// Sends one response body as DATA frames on one stream, never past the client's windows:
/// each frame is as large as the stream window, the connection window and the client's frame
/// size allow, and a spent window is waited out until WINDOW_UPDATE refills it. Each frame is
/// written before the next is framed, so a body producer feels the client's pace.
struct HTTP2BodySender {
    let connection: HTTP2ServerConnection
    let streamID: UInt32
    let throttle: (bytes: Int, period: Duration)?
    private var sentInPeriod = 0

    init(connection: HTTP2ServerConnection, streamID: UInt32, throttle: (bytes: Int, period: Duration)?) {
        self.connection = connection
        self.streamID = streamID
        self.throttle = throttle
    }

    /// Sends all of `bytes`, without END_STREAM.
    mutating func send(_ bytes: ByteBuffer) async throws {
        var offset = 0
        while offset < bytes.count {
            var count = bytes.count - offset
            if let throttle {
                if sentInPeriod >= throttle.bytes {
                    try await Task.sleep(for: throttle.period)
                    sentInPeriod = 0
                }
                count = min(count, throttle.bytes - sentInPeriod)
            }
            let sent = try await sendFrame(bytes.slice(from: offset, count: count), endStream: false)
            offset += sent
            sentInPeriod += sent
        }
    }

    /// Ends the stream with an empty DATA frame carrying END_STREAM.
    func end() async throws {
        _ = try await sendFrame(ByteBuffer(), endStream: true)
    }

    /// One DATA frame of as much of `bytes` as the windows allow, once they allow any.
    private func sendFrame(_ bytes: ByteBuffer, endStream: Bool) async throws -> Int {
        while true {
            try Task.checkCancellation()
            switch connection.withState({ $0.enqueueData(bytes, streamID: streamID, endStream: endStream) }) {
            case .sent(let count, let ticket):
                try await connection.flushed(ticket)
                return count
            case .gone:
                throw CancellationError()
            case .blocked:
                await withCheckedContinuation { continuation in
                    connection.withState { $0.waitForWindow(streamID, continuation) }
                }
            }
        }
    }
}

/// Lends a body sender to a streamed body's producer, whose writes come one at a time (each
/// awaits the previous): that serialisation makes the unchecked send safe.
final class HTTP2BodySenderBox: @unchecked Sendable {
    private var sender: HTTP2BodySender

    init(_ sender: HTTP2BodySender) {
        self.sender = sender
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await sender.send(bytes)
    }
}
