import Synchronization

/// Holds tasks until it is opened, and counts how many are past it at once: a server's response
/// producers wait on it so that a test decides when they finish, and learns their concurrency.
final class Gate: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [CheckedContinuation<Void, Never>] = []
        var inside = 0
        var peak = 0
        var arrived = 0
    }

    private let state = Mutex(State())
    /// Opens by itself once this many have arrived (nil: only `open()` opens it).
    private let opensAfter: Int?

    init(opensAfter: Int? = nil) {
        self.opensAfter = opensAfter
    }

    /// The most tasks that were inside `pass` at once.
    var peak: Int { state.withLock { $0.peak } }

    /// How many tasks have arrived so far.
    var arrived: Int { state.withLock { $0.arrived } }

    /// Waits until the gate is open, then runs `body`, counted as inside.
    func pass<T>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { continuation in
            let resumed: [CheckedContinuation<Void, Never>] = state.withLock { state in
                state.inside += 1
                state.peak = max(state.peak, state.inside)
                state.arrived += 1
                if let opensAfter, state.arrived >= opensAfter { state.isOpen = true }
                guard !state.isOpen else {
                    defer { state.waiters = [] }
                    return state.waiters + [continuation]
                }
                state.waiters.append(continuation)
                return []
            }
            for waiter in resumed { waiter.resume() }
        }
        defer { state.withLock { $0.inside -= 1 } }
        return try await body()
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
