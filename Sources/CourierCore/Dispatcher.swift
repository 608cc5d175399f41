/// Admits calls to the network: at most `maxRequests` at once, at most `maxRequestsPerHost` to
/// one host, the rest waiting first-in first-out.
///
/// A call holds its admission until its response body is read to the end, fails or is dropped,
/// as OkHttp's async calls do, so `maxRequestsPerHost` also bounds the HTTP/1.1 connections to a
/// host. Calls that may share an HTTP/2 connection are not held to `maxRequestsPerHost` (OkHttp
/// holds them, and so throttles multiplexing to 5 streams): the pool bounds their connections to
/// a host by the same number instead, and a connection's streams by the server's limit.
/// A waiting call whose task is cancelled leaves the queue at once and throws `CancellationError`.
public actor Dispatcher {
    public nonisolated let maxRequests: Int
    public nonisolated let maxRequestsPerHost: Int
    private var state: DispatcherState
    private var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
    private var nextWaiterID: UInt64 = 0

    public init(maxRequests: Int = 64, maxRequestsPerHost: Int = 5) {
        precondition(maxRequests > 0 && maxRequestsPerHost > 0, "limits must be positive")
        self.maxRequests = maxRequests
        self.maxRequestsPerHost = maxRequestsPerHost
        self.state = DispatcherState(maxRequests: maxRequests, maxRequestsPerHost: maxRequestsPerHost)
    }

    /// Calls admitted and not yet finished.
    public var runningCallsCount: Int { state.runningCount }
    /// Calls waiting for admission.
    public var queuedCallsCount: Int { state.queuedCount }

    /// Waits until a call to `host` may run; `perHost` false exempts it from `maxRequestsPerHost`.
    /// Every successful return must be balanced by one `finished(host:perHost:)` with the same flag.
    package func admit(host: String, perHost: Bool = true) async throws {
        try Task.checkCancellation()
        let id = nextWaiterID
        nextWaiterID &+= 1
        switch state.admit(id, host: host, perHost: perHost) {
        case .run:
            return
        case .wait:
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    waiters[id] = continuation
                }
            } onCancel: {
                Task { await self.cancelWaiter(id) }
            }
        }
    }

    /// Ends a call admitted by `admit(host:)` and starts the waiters that can now run.
    package func finished(host: String, perHost: Bool = true) {
        for id in state.finish(host: host, perHost: perHost) {
            waiters.removeValue(forKey: id)?.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard state.cancel(id) else { return }
        waiters.removeValue(forKey: id)?.resume(throwing: CancellationError())
    }
}
