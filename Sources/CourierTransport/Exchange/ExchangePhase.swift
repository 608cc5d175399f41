package import CourierCore

/// Where an exchange was when it failed; decides the error's kind, whatever the protocol.
package enum ExchangePhase: Sendable {
    case request
    case responseHead
    case responseBody

    package var description: String {
        switch self {
        case .request: "writing the request"
        case .responseHead: "waiting for the response head"
        case .responseBody: "reading the response body"
        }
    }

    /// A connection or stream lost here: before a response head the server went away without
    /// answering (`.connectionClosed`, whether by reset or close, which depends on timing the
    /// caller cannot control); during the body it was cut off (`.connectionReset`).
    package var lostKind: HTTPClientError.Kind {
        self == .responseBody ? .connectionReset : .connectionClosed
    }

    /// The timeout a wait here exceeded: writing waits on `writeTimeout`, the rest on `readTimeout`.
    package var timeout: HTTPClientError.Timeout {
        self == .request ? .write : .read
    }
}
