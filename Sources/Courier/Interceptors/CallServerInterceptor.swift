import CourierCore

/// The last stage: writes the request on the chosen connection and reads the response head.
struct CallServerInterceptor: Interceptor {
    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        guard let exchange = chain.exchange else {
            throw HTTPClientError(.interceptorContractViolation, "No connection reached the call-server stage.")
        }
        return try await exchange.send(request, call: chain.call)
    }
}
