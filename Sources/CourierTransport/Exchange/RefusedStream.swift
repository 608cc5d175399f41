package import CourierCore

/// How a multiplexed connection says that the peer never processed a request, so that the retry
/// stage may send it again on another connection whatever its method (RFC 9113 §8.7): the stream
/// was above a GOAWAY's last stream identifier, was reset with REFUSED_STREAM, or could not be
/// opened because the connection was already going away.
///
/// Such an error is an `HTTPClientError(.connectionClosed, …)` thrown before any response head,
/// and its message contains ``marker``; ``matches(_:)`` tells it apart from a server that went
/// away after it may have acted on the request.
package enum RefusedStream {
    /// The words every refused-stream message contains.
    package static let marker = "was not processed by the server"

    /// The error for a request the server never processed; `reason` says how we know.
    package static func error(peer: String, reason: String) -> HTTPClientError {
        HTTPClientError(
            .connectionClosed,
            "The request to \(peer) \(marker) (\(reason)); it is safe to retry on a new connection.")
    }

    /// Whether `error` says the server never processed the request.
    package static func matches(_ error: any Error) -> Bool {
        guard let error = error as? HTTPClientError, error.kind == .connectionClosed else { return false }
        return error.message.contains(marker)
    }
}
