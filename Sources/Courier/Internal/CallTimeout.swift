import CourierCore
import Synchronization

/// Bounds a call up to its response head with `callTimeout` by racing it against a timer in a
/// task group. When the timer wins, the call's task is cancelled — the same mechanism as a
/// caller's cancellation, so every phase stops and frees what it holds — and the cancellation
/// becomes `.timeout(.call)`. The body, read after `send` returns, is bounded by the same
/// deadline through the call context: every read checks it.
///
/// A response the call produced is always returned, even when the caller was cancelled as it
/// arrived: it holds the call's dispatcher admission and its connection, which only the
/// response (read, dropped or abandoned) gives back. Thrown away inside the group, it would
/// keep the admission forever. So the timer never throws: cancelled, it just ends.
enum CallTimeout {
    static func run(
        limit: Duration,
        deadline: ContinuousClock.Instant,
        request: HTTPRequest,
        _ body: @escaping @Sendable () async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        let expired = ExpiryFlag()
        return try await withThrowingTaskGroup(of: HTTPResponse?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                guard (try? await Task.sleep(until: deadline)) != nil else { return nil }
                expired.set()
                return nil
            }
            defer { group.cancelAll() }
            do {
                while let result = try await group.next() {
                    if let response = result { return response }
                    group.cancelAll()
                }
            } catch is CancellationError where expired.isSet && !Task.isCancelled {
                throw HTTPClientError(
                    .timeout(.call),
                    "The call to \(request.url.absoluteString) did not get a response within \(limit)."
                )
            }
            throw CancellationError()
        }
    }
}

/// Set by the timer when it wins the race; read by the task that turns cancellation into a timeout.
private final class ExpiryFlag: Sendable {
    private let value = Atomic<Bool>(false)

    func set() {
        value.store(true, ordering: .releasing)
    }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
