import Synchronization

/// Requests received and not yet taken, plus tasks waiting in `takeRequest(timeout:)`.
///
/// Every wait ends: with a request, with `CancellationError` when the waiting task is
/// cancelled, or with ``RequestWaitTimedOut`` at its limit, so a request that never comes fails
/// a test instead of hanging the suite.
final class RequestLog: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<RecordedRequest, any Error>
    }

    private struct State {
        var requests: [RecordedRequest] = []
        var waiters: [Waiter] = []
        /// Waits in `take`, from its start to its return.
        var pending: Set<UInt64> = []
        /// Waits that ended (cancelled or timed out) before their waiter was installed.
        var ended: [UInt64: any Error] = [:]
        var nextID: UInt64 = 0
        var total = 0
    }

    private let state = Mutex(State())

    var total: Int { state.withLock { $0.total } }

    func record(_ request: RecordedRequest) {
        let waiter = state.withLock { state -> Waiter? in
            state.total += 1
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.requests.append(request)
            return nil
        }
        waiter?.continuation.resume(returning: request)
    }

    /// Counts a request without keeping it.
    func count() {
        state.withLock { $0.total += 1 }
    }

    func take(timeout: Duration) async throws -> RecordedRequest {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.pending.insert(state.nextID)
            return state.nextID
        }
        let timer = Task { [self] in
            try await Task.sleep(for: timeout)
            end(id, with: RequestWaitTimedOut(limit: timeout))
        }
        defer {
            timer.cancel()
            state.withLock { state in
                state.pending.remove(id)
                state.ended[id] = nil
            }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Result<RecordedRequest, any Error>? in
                    if let error = state.ended.removeValue(forKey: id) { return .failure(error) }
                    if !state.requests.isEmpty { return .success(state.requests.removeFirst()) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            end(id, with: CancellationError())
        }
    }

    /// Ends wait `id` with `error`: at once if it is waiting, or as soon as it starts to.
    private func end(_ id: UInt64, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard state.pending.contains(id) else { return nil }
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                state.ended[id] = error
                return nil
            }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }
}
