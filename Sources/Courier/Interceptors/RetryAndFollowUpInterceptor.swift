import CourierCore

/// Recovers from dead connections and follows up on responses that ask for another request:
/// redirects, and 408 / 503 answers that invite an immediate retry.
///
/// Retries: a request that failed because its pooled connection was already dead (closed or
/// reset before answering) says nothing about the request, so it is replayed on a fresh
/// connection — but only when that is safe (RFC 9110 §9.2.2): the method is idempotent, or the
/// request never fully left. A request the server said it did not process (an HTTP/2 GOAWAY
/// or REFUSED_STREAM) is replayed whatever its method; one whose stream the server reset on a
/// live connection never is. Stream bodies are never replayed. (The
/// other addresses of a host are tried earlier, in the connector.)
///
/// Follow-ups: see ``FollowUp``. The final response carries the ones before it in `priorResponse`,
/// bodies discarded.
struct RetryAndFollowUpInterceptor: Interceptor {
    /// As OkHttp, and as browsers (Chrome and Firefox allow 20).
    static let maxFollowUps = 20
    /// Every retry needs another dead pooled connection, so this bound is only a safeguard.
    static let maxRetries = 10
    /// Prior responses' bodies are read this far so their connection can be reused; beyond, it is closed.
    static let discardLimit = 64 << 10

    let retryOnConnectionFailure: Bool
    let policy: FollowUp.Policy

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        var request = request
        var prior: HTTPResponse?
        var followUps = 0
        var retries = 0
        while true {
            var response: HTTPResponse
            do {
                response = try await chain.proceed(request)
            } catch let error as HTTPClientError {
                guard retries < RetryAndFollowUpInterceptor.maxRetries,
                    canRetry(after: error, request: request, chain: chain)
                else {
                    throw error
                }
                retries += 1
                continue
            }
            response.priorResponse = prior
            let next: HTTPRequest?
            do {
                next = try await FollowUp.request(after: response, policy: policy, exchange: chain.call.lastExchange)
            } catch {
                // An authenticator that throws: the response goes nowhere, so its connection is
                // released now, before the call reports its failure.
                await response.body.source?.abandon()
                throw error
            }
            guard let next else { return response }
            await RetryAndFollowUpInterceptor.discard(response.body)
            followUps += 1
            guard followUps <= RetryAndFollowUpInterceptor.maxFollowUps else {
                throw HTTPClientError(
                    .tooManyRedirects,
                    "Too many follow-up requests: more than \(RetryAndFollowUpInterceptor.maxFollowUps), the last to \(next.url.absoluteString)."
                )
            }
            response.body = .empty
            prior = response
            request = next
        }
    }

    private func canRetry(after error: HTTPClientError, request: HTTPRequest, chain: Chain) -> Bool {
        guard retryOnConnectionFailure, error.kind == .connectionClosed else { return false }
        let facts = chain.call.lastExchange
        // A stream may already be partly consumed; it cannot be produced again.
        if request.body?.isReplayable == false { return false }
        if facts.unprocessed { return true }
        guard facts.reusedConnection, !facts.resetByPeer else { return false }
        return request.method.isIdempotent || !facts.requestFullySent
    }

    /// Reads a small body to its end so the connection can be reused; gives a large one up.
    private static func discard(_ body: HTTPResponse.Body) async {
        var read = 0
        do {
            for try await chunk in body {
                read += chunk.count
                if read > discardLimit { break }
            }
        } catch {
            return
        }
        if read > discardLimit { await body.source?.abandon() }
    }
}
