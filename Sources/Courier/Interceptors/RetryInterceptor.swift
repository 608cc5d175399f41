import CourierCore

/// Replays a request that failed because the connection under it was already dead: a pooled
/// connection the server closed or reset before answering. Such a failure says nothing about the
/// request, so it gets a fresh attempt — but only when replaying is safe (RFC 9110 §9.2.2): the
/// method is idempotent, or the request never fully left. A stream body that was started cannot
/// be replayed, so requests with one are not retried. (Trying the other addresses of a host happens earlier, in the connector.)
struct RetryInterceptor: Interceptor {
    /// Every retry needs another dead pooled connection, so this bound is only a safeguard.
    static let maxRetries = 10

    let enabled: Bool

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        var retries = 0
        while true {
            do {
                return try await chain.proceed(request)
            } catch let error as HTTPClientError {
                guard enabled, retries < RetryInterceptor.maxRetries,
                    isRecoverable(error, request: request, chain: chain)
                else {
                    throw error
                }
                retries += 1
            }
        }
    }

    private func isRecoverable(_ error: HTTPClientError, request: HTTPRequest, chain: Chain) -> Bool {
        guard error.kind == .connectionClosed else { return false }
        let facts = chain.call.lastExchange
        guard facts.reusedConnection else { return false }
        // A stream may already be partly consumed; it cannot be produced again.
        if case .stream = request.body?.storage { return false }
        return request.method.isIdempotent || !facts.requestFullySent
    }
}
