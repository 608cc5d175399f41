import CourierCore
import CourierTransport

/// One stream as the connection keeps it: its RFC 9113 §5.1 state, its flow-control windows,
/// what the server sent and the exchange has not taken yet, and the tasks waiting on it.
///
/// A value driven under the connection's lock. A stream stays in the connection's table until
/// its exchange lets go of it (the body read to its end, a failure thrown, or a cancel), even
/// after it closed on the wire, so that buffered body data and trailers can still be read.
struct HTTP2StreamState {
    /// RFC 9113 §5.1, without the reserved states (push is disabled).
    enum Phase: Hashable, Sendable {
        case idle
        case open
        case halfClosedLocal
        case halfClosedRemote
        case closed
    }

    /// What moves a stream from one state to the next.
    enum Transition: Sendable {
        case sendHeaders(endStream: Bool)
        case sendEndStream
        case receiveEndStream
        /// RST_STREAM sent or received, or the connection ended.
        case reset
    }

    let id: UInt32
    private(set) var phase: Phase = .idle
    /// What this side may still send: the server's INITIAL_WINDOW_SIZE plus its WINDOW_UPDATEs,
    /// minus DATA sent. May go negative when the server lowers its initial window (§6.9.2).
    var sendWindow: Int
    /// What the server may still send before a WINDOW_UPDATE from us.
    var receiveWindow: Int
    /// The window this side announced for the stream, which WINDOW_UPDATEs restore.
    let receiveWindowSize: Int
    /// Octets consumed (or discarded as padding) and not yet returned with a WINDOW_UPDATE.
    var unacknowledged = 0
    /// A HEAD request: its response carries no content, whatever Content-Length says.
    let isHeadRequest: Bool
    /// An extended CONNECT (RFC 8441): after a 2xx the stream carries another protocol's bytes
    /// both ways, for as long as both sides keep it open; a Content-Length means nothing then.
    let isTunnel: Bool

    var interimHeads: [ResponseHead] = []
    var interimCount = 0
    var finalHead: ResponseHead?
    var finalHeadTaken = false
    /// Body bytes not taken yet.
    var body = HTTP2BodyBuffer()
    var declaredLength: Int?
    var receivedLength = 0
    var endStreamReceived = false
    var trailers: HTTPHeaders?

    /// Why reads fail; set when the stream ended badly.
    var readFailure: HTTP2StreamFailure?
    /// Why writes fail: like `readFailure`, or the server reset the stream after a complete
    /// response (NO_ERROR), which ends the request body but not the response.
    var writeFailure: HTTP2StreamFailure?
    /// The exchange stopped sending the request body (a final response came first): the stream
    /// is reset with NO_ERROR once the response has ended (RFC 9113 §8.1).
    var requestAbandoned = false

    var readWaiter: HTTP2Waiter?
    var writeWaiter: HTTP2Waiter?

    init(id: UInt32, sendWindow: Int, receiveWindow: Int, isHeadRequest: Bool, isTunnel: Bool = false) {
        self.id = id
        self.sendWindow = sendWindow
        self.receiveWindow = receiveWindow
        self.receiveWindowSize = receiveWindow
        self.isHeadRequest = isHeadRequest
        self.isTunnel = isTunnel
    }

    /// Open or half-closed: counted against the server's SETTINGS_MAX_CONCURRENT_STREAMS (§5.1.2).
    var isActive: Bool {
        switch phase {
        case .open, .halfClosedLocal, .halfClosedRemote: true
        case .idle, .closed: false
        }
    }

    /// Whether this side may still send on the stream.
    var canSend: Bool {
        switch phase {
        case .open, .halfClosedRemote: true
        case .idle, .halfClosedLocal, .closed: false
        }
    }

    /// Whether the server may still send on the stream.
    var canReceive: Bool {
        switch phase {
        case .open, .halfClosedLocal: true
        case .idle, .halfClosedRemote, .closed: false
        }
    }

    /// Applies `transition` (§5.1); returns false when the stream's state does not allow it, and
    /// then leaves it as it was.
    mutating func apply(_ transition: Transition) -> Bool {
        switch (phase, transition) {
        case (.idle, .sendHeaders(let endStream)):
            phase = endStream ? .halfClosedLocal : .open
        case (.open, .sendEndStream):
            phase = .halfClosedLocal
        case (.open, .receiveEndStream):
            phase = .halfClosedRemote
        case (.halfClosedLocal, .receiveEndStream), (.halfClosedRemote, .sendEndStream):
            phase = .closed
        case (.idle, .reset), (.open, .reset), (.halfClosedLocal, .reset), (.halfClosedRemote, .reset),
            (.closed, .reset):
            phase = .closed
        case (.idle, _), (.open, .sendHeaders), (.halfClosedLocal, _), (.halfClosedRemote, _), (.closed, _):
            return false
        }
        return true
    }

    // MARK: Body data

    var hasBufferedData: Bool { !body.isEmpty }

    /// Counts `count` octets consumed; returns the increment for a stream WINDOW_UPDATE once
    /// half the window has been consumed, and nil while it is not worth one or the server is
    /// done sending.
    mutating func consumed(_ count: Int) -> Int? {
        unacknowledged += count
        guard canReceive, unacknowledged >= receiveWindowSize / 2 else { return nil }
        let increment = unacknowledged
        unacknowledged = 0
        receiveWindow += increment
        return increment
    }
}
