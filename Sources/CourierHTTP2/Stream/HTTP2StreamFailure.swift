import CourierCore
import CourierTransport

/// Why a stream cannot go on, kept until its exchange asks; turned into the error a call sees
/// by ``error(stream:peer:phase:)``, which knows what the exchange was doing.
enum HTTP2StreamFailure: Error, Sendable {
    /// The server reset the stream (RST_STREAM) with this code.
    case reset(HTTP2ErrorCode)
    /// The server never processed the request; the words say how we know.
    case refused(String)
    /// The server broke the protocol on this stream or the connection.
    case violation(HTTPClientError)
    /// The connection ended under the stream; the words say how.
    case connectionLost(String)
    /// This side closed the connection.
    case closedLocally
    /// ``HTTP2StreamCodec/interrupt()`` stopped the exchange.
    case interrupted
    /// The request is an extended CONNECT and the server has not enabled them (RFC 8441 §4);
    /// no stream was opened.
    case extendedConnectDisabled

    /// Whether the server provably did not process the request (RFC 9113 §8.7), so that any
    /// request may be sent again on another connection.
    var isRefusal: Bool {
        switch self {
        case .reset(.refusedStream), .refused: true
        case .reset, .violation, .connectionLost, .closedLocally, .interrupted, .extendedConnectDisabled: false
        }
    }

    func error(stream: UInt32, peer: String, phase: ExchangePhase) -> HTTPClientError {
        let gone = phase.lostKind
        switch self {
        case .reset(.refusedStream):
            return HTTPStreamRefusal.error(peer: peer, reason: "it reset HTTP/2 stream \(stream) with REFUSED_STREAM")
        case .reset(let code):
            return HTTPClientError(gone, "\(peer) reset HTTP/2 stream \(stream) (\(code)) while \(phase.description).")
        case .refused(let reason):
            return HTTPStreamRefusal.error(peer: peer, reason: reason)
        case .violation(let error):
            return error
        case .connectionLost(let detail):
            return HTTPClientError(gone, "\(detail) while \(phase.description) on HTTP/2 stream \(stream).")
        case .closedLocally:
            return HTTPClientError(
                gone, "The HTTP/2 connection to \(peer) was closed while \(phase.description) on stream \(stream).")
        case .interrupted:
            return HTTPClientError(
                gone, "HTTP/2 stream \(stream) to \(peer) was interrupted while \(phase.description).")
        case .extendedConnectDisabled:
            return HTTPClientError(
                .invalidRequest,
                "\(peer) has not enabled extended CONNECT (RFC 8441 SETTINGS_ENABLE_CONNECT_PROTOCOL) on its HTTP/2 connection, which switching protocols over HTTP/2 needs."
            )
        }
    }
}

/// The words of the error for a request the server never processed.
enum HTTPStreamRefusal {
    static func error(peer: String, reason: String) -> HTTPClientError {
        HTTPClientError(
            .connectionClosed,
            "The request to \(peer) was not processed by the server (\(reason)); it is safe to retry on a new connection."
        )
    }
}
