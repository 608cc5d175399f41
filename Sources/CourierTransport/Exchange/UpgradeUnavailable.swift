package import CourierCore

/// Thrown by a codec when its connection cannot switch the request to another protocol: an
/// HTTP/2 server that has not enabled extended CONNECT (RFC 8441), where a WebSocket opens as a
/// stream. Nothing was sent. It passes through the chain as it is, so that the caller who asked
/// for the switch can try again over HTTP/1.1, as browsers do; ``error`` is what to throw when
/// it cannot.
package struct UpgradeUnavailable: Error {
    package let error: HTTPClientError

    package init(_ error: HTTPClientError) {
        self.error = error
    }
}
