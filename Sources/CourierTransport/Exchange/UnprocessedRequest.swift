package import CourierCore

/// Thrown by a codec when the peer provably did not process the request: an HTTP/2 stream above
/// a GOAWAY's last stream id, or one reset with REFUSED_STREAM (RFC 9113 §8.7). Any request,
/// whatever its method, may then be retried on another connection; ``Exchange`` records the fact
/// for the retry stage and throws ``error``.
package struct UnprocessedRequest: Error {
    package let error: HTTPClientError

    package init(_ error: HTTPClientError) {
        self.error = error
    }
}
