import CourierCore
import Synchronization

/// Requests received and not yet taken, plus tasks waiting in `takeRequest()`.
final class RequestLog: Sendable {
    private struct State {
        var requests: [RecordedRequest] = []
        var waiters: [CheckedContinuation<RecordedRequest, Never>] = []
        var total = 0
    }

    private let state = Mutex(State())

    var total: Int { state.withLock { $0.total } }

    func record(_ request: RecordedRequest) {
        let waiter = state.withLock { state -> CheckedContinuation<RecordedRequest, Never>? in
            state.total += 1
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.requests.append(request)
            return nil
        }
        waiter?.resume(returning: request)
    }

    func take() async -> RecordedRequest {
        await withCheckedContinuation { continuation in
            let request = state.withLock { state -> RecordedRequest? in
                if !state.requests.isEmpty { return state.requests.removeFirst() }
                state.waiters.append(continuation)
                return nil
            }
            if let request { continuation.resume(returning: request) }
        }
    }
}
