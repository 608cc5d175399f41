import CourierCore
import CourierHTTP2

/// Why an HTTP/2 test-server connection ends with GOAWAY (RFC 9113 §5.4.1).
struct HTTP2ConnectionFailure: Error {
    let code: HTTP2ErrorCode
    let reason: String
}

/// What the reader, the writer and the stream tasks of one HTTP/2 test-server connection share:
/// streams, flow-control windows, the response-side encoders, and the outbound queue. It lives
/// behind the connection's one lock; every change that should wake a task records an
/// ``HTTP2Wakeup`` that the connection fires after unlocking.
///
/// The reader's own state (frame decoder, HPACK decoder, receive buffer) is not here: only the
/// reader touches it.
struct HTTP2ServerState {
    var streams: [UInt32: HTTP2ServerStream] = [:]
    /// The highest stream identifier the client has used: streams above it are idle, the ones
    /// at or below it that are not stored are closed.
    var lastClientStreamID: UInt32 = 0
    /// Streams the client has opened on this connection.
    var openedStreams = 0
    /// The last-stream-id of the GOAWAY the server sent, if it sent one: later streams are ignored.
    var goAwayLastStreamID: UInt32?
    /// Set when the client sent GOAWAY: the connection ends once its streams are done.
    var clientWentAway = false
    var connectionSendWindow = 65_535
    var connectionReceiveWindow = 65_535
    /// The client's SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window.
    var peerInitialWindowSize = 65_535
    var nextSequenceNumber = 0
    var outbound = HTTP2OutboundQueue()
    var wakeups: [HTTP2Wakeup] = []
    private var frameEncoder = HTTP2FrameEncoder()
    private var hpackEncoder = HPACKEncoder(role: .server)

    /// Frames `frame` onto the outbound queue; nil once the connection has ended.
    @discardableResult
    mutating func enqueue(_ frame: HTTP2Frame) -> Int? {
        let encoder = frameEncoder
        return outbound.append(wakeups: &wakeups) { encoder.encode(frame, into: &$0) }
    }

    /// HPACK-encodes `headers` and frames them as HEADERS (and CONTINUATIONs) on `streamID`.
    mutating func enqueueHeaders(_ headers: HTTPHeaders, streamID: UInt32, endStream: Bool) -> Int? {
        guard streams[streamID]?.isResponding == true, !outbound.isClosed else { return nil }
        var block: [UInt8] = []
        hpackEncoder.encode(headers, into: &block)
        return enqueue(HTTP2Frame(streamID: streamID, payload: .headers(ByteBuffer(block), endStream: endStream)))
    }

    /// What an attempt to send DATA came to.
    enum DataOutcome {
        /// This many octets of the offered bytes went into a frame with this ticket.
        case sent(Int, ticket: Int)
        /// A window is spent: wait for WINDOW_UPDATE.
        case blocked
        /// The stream or the connection has ended.
        case gone
    }

    /// Frames as much of `bytes` as both windows and the client's frame size allow, as one DATA
    /// frame; END_STREAM only when all of it fits. An empty `bytes` with `endStream` needs no window.
    mutating func enqueueData(_ bytes: ByteBuffer, streamID: UInt32, endStream: Bool) -> DataOutcome {
        guard let stream = streams[streamID], stream.isResponding, !outbound.isClosed else { return .gone }
        let count = min(bytes.count, stream.sendWindow, connectionSendWindow, frameEncoder.maxFrameSize)
        guard count > 0 || bytes.isEmpty else { return .blocked }
        streams[streamID]?.sendWindow -= count
        connectionSendWindow -= count
        let last = endStream && count == bytes.count
        let frame = HTTP2Frame(streamID: streamID, payload: .data(bytes.slice(from: 0, count: count), endStream: last))
        guard let ticket = enqueue(frame) else { return .gone }
        return .sent(count, ticket: ticket)
    }

    /// Keeps `continuation` until `streamID` has send window in both windows, or resumes it now
    /// if it has, or if the stream is gone.
    mutating func waitForWindow(_ streamID: UInt32, _ continuation: CheckedContinuation<Void, Never>) {
        guard let stream = streams[streamID], stream.isResponding, !outbound.isClosed,
            stream.sendWindow <= 0 || connectionSendWindow <= 0
        else {
            wakeups.append(.window(continuation))
            return
        }
        streams[streamID]?.windowWaiter = continuation
    }

    /// Applies the client's SETTINGS (§6.5.2): window sizes, frame size, HPACK table size.
    mutating func applyPeerSettings(_ settings: [HTTP2Setting]) throws(HTTP2ConnectionFailure) {
        for setting in settings {
            switch setting {
            case .initialWindowSize(let value):
                let delta = Int(value) - peerInitialWindowSize
                peerInitialWindowSize = Int(value)
                for id in streams.keys {
                    streams[id]!.sendWindow += delta
                    guard streams[id]!.sendWindow <= Int(HTTP2Setting.maxWindowSize) else {
                        throw HTTP2ConnectionFailure(
                            code: .flowControlError, reason: "INITIAL_WINDOW_SIZE pushes a window past 2^31 - 1")
                    }
                }
                wakeWindowWaiters()
            case .maxFrameSize(let value):
                frameEncoder.maxFrameSize = Int(value)
            case .headerTableSize(let value):
                hpackEncoder.setPeerMaxTableSize(Int(min(value, 1 << 20)))
            case .enablePush, .maxConcurrentStreams, .maxHeaderListSize, .enableConnectProtocol:
                break
            }
        }
    }

    /// Applies a WINDOW_UPDATE (§6.9). Returns the stream to reset with FLOW_CONTROL_ERROR when
    /// a stream's window would pass 2^31 - 1.
    mutating func windowUpdate(streamID: UInt32, increment: UInt32) throws(HTTP2ConnectionFailure) -> UInt32? {
        let limit = Int(HTTP2Setting.maxWindowSize)
        if streamID == 0 {
            connectionSendWindow += Int(increment)
            guard connectionSendWindow <= limit else {
                throw HTTP2ConnectionFailure(
                    code: .flowControlError, reason: "a WINDOW_UPDATE pushes the connection window past 2^31 - 1")
            }
            wakeWindowWaiters()
            return nil
        }
        guard streamID <= lastClientStreamID else {
            throw HTTP2ConnectionFailure(code: .protocolError, reason: "a WINDOW_UPDATE names idle stream \(streamID)")
        }
        guard streams[streamID] != nil else { return nil }
        streams[streamID]!.sendWindow += Int(increment)
        guard streams[streamID]!.sendWindow <= limit else { return streamID }
        if let waiter = streams[streamID]!.windowWaiter {
            streams[streamID]!.windowWaiter = nil
            wakeups.append(.window(waiter))
        }
        return nil
    }

    /// Ends a stream for good: forgets it and wakes its task if it waits for window. Returns its
    /// responder, for the caller to cancel.
    @discardableResult
    mutating func removeStream(_ streamID: UInt32) -> Task<Void, Never>? {
        guard let stream = streams.removeValue(forKey: streamID) else { return nil }
        if let waiter = stream.windowWaiter { wakeups.append(.window(waiter)) }
        if let reader = stream.tunnel?.reader { wakeups.append(.window(reader)) }
        return stream.responder
    }

    /// The server finished its side of `streamID`: the stream closes if the client has too.
    mutating func finishResponding(_ streamID: UInt32) {
        guard let stream = streams[streamID] else { return }
        switch stream.phase {
        case .open: streams[streamID]!.phase = .halfClosedLocal
        case .halfClosedRemote, .halfClosedLocal: removeStream(streamID)
        }
    }

    /// Whether the connection has nothing left to do after a GOAWAY from either side.
    var isDrained: Bool {
        (goAwayLastStreamID != nil || clientWentAway) && streams.isEmpty
    }

    /// Ends the connection: no more frames are accepted, every waiting stream task wakes.
    /// Returns the responders, for the caller to cancel.
    mutating func close() -> [Task<Void, Never>] {
        outbound.close(wakeups: &wakeups)
        let responders = streams.keys.compactMap { removeStream($0) }
        return responders
    }

    private mutating func wakeWindowWaiters() {
        for id in streams.keys {
            if let waiter = streams[id]!.windowWaiter {
                streams[id]!.windowWaiter = nil
                wakeups.append(.window(waiter))
            }
        }
    }
}
