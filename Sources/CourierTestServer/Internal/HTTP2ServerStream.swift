import CourierCore

/// One stream of an HTTP/2 test-server connection, as the connection's state keeps it: where it
/// is in its life, its flow-control windows, and the request as received so far.
///
/// Streams the server has never seen (idle) and streams that have ended (closed) are not
/// stored: an identifier above the client's highest is idle, one at or below it is closed.
struct HTTP2ServerStream {
    /// RFC 9113 §5.1 states while the stream is stored. Which side ended decides what may
    /// still arrive: DATA only while the client has not ended, our frames only while we have not.
    enum Phase {
        /// Both sides may send.
        case open
        /// The client sent END_STREAM: the request is whole, the response is under way.
        case halfClosedRemote
        /// The response ended (or was reset by a policy) while the client still sends its body.
        case halfClosedLocal
    }

    var phase: Phase
    /// How much DATA the server may still send: the client's SETTINGS_INITIAL_WINDOW_SIZE, plus
    /// its WINDOW_UPDATEs, minus what was sent. May go negative when the client lowers its
    /// initial window (§6.9.2).
    var sendWindow: Int
    /// How much DATA the client may still send on the stream.
    var receiveWindow: Int
    var head: HTTP2RequestHead
    /// The request body, recorded up to `maxRecordedBody` octets and counted beyond.
    var body: [UInt8] = []
    /// The stream's task that waits for send window, resumed when the window grows or the
    /// stream ends.
    var windowWaiter: CheckedContinuation<Void, Never>?
    /// The task that answers the request, once started.
    var responder: Task<Void, Never>?
    /// For an extended CONNECT (RFC 8441): the bytes the client sends on the stream, which are
    /// not a request body but the switched-to protocol's.
    var tunnel: HTTP2ServerTunnelInbound?

    init(head: HTTP2RequestHead, endStream: Bool, sendWindow: Int, receiveWindow: Int) {
        self.phase = endStream ? .halfClosedRemote : .open
        self.sendWindow = sendWindow
        self.receiveWindow = receiveWindow
        self.head = head
    }

    /// Whether the client may still send DATA or trailers.
    var isReceiving: Bool {
        switch phase {
        case .open, .halfClosedLocal: true
        case .halfClosedRemote: false
        }
    }

    /// A tunnel that both sides have ended, kept only until its session lets go: closed, and no
    /// longer counted against SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2).
    var isClosedTunnel: Bool {
        guard let tunnel else { return false }
        return tunnel.ended && tunnel.serverEnded
    }

    /// Whether the server may still send frames on it.
    var isResponding: Bool {
        switch phase {
        case .open, .halfClosedRemote: tunnel?.serverEnded != true
        case .halfClosedLocal: false
        }
    }
}
