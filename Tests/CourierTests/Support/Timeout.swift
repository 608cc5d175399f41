struct TestTimedOut: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "the test did not finish within \(limit)" }
}

/// Runs `body`, failing if it takes longer than `limit`: every async test is bounded so a bug
/// shows up as a failure, not a hung CI run.
func withTimeout<T: Sendable>(
    _ limit: Duration = .seconds(30),
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TestTimedOut(limit: limit)
        }
        group.cancelAll()
        return value
    }
}
