extension HTTPClientError.Kind: CustomStringConvertible {
    /// The kind as it is written in Swift, e.g. `.timeout(.read)`, for logs and test output.
    public var description: String {
        switch self {
        case .invalidURL: ".invalidURL"
        case .invalidRequest: ".invalidRequest"
        case .dnsFailure: ".dnsFailure"
        case .connectionRefused: ".connectionRefused"
        case .connectFailed: ".connectFailed"
        case .connectionReset: ".connectionReset"
        case .connectionClosed: ".connectionClosed"
        case .timeout(let timeout): ".timeout(.\(timeout))"
        case .tls(let failure): ".tls(.\(failure))"
        case .protocolViolation(let violation): ".protocolViolation(.\(violation))"
        case .tooManyRedirects: ".tooManyRedirects"
        case .responseTooLarge: ".responseTooLarge"
        case .bodyAlreadyConsumed: ".bodyAlreadyConsumed"
        case .interceptorContractViolation: ".interceptorContractViolation"
        case .requestBodyFailed: ".requestBodyFailed"
        case .webSocketHandshakeFailed: ".webSocketHandshakeFailed"
        case .webSocketClosed(let code): ".webSocketClosed(code: \(code))"
        case .proxy(let failure): ".proxy(.\(failure))"
        }
    }
}
