import Testing

@testable import CourierCore

@Suite("Dispatcher admission rules")
struct DispatcherStateTests {
    @Test("Per-host and total limits hold, and finishing promotes waiters in FIFO order")
    func limits() {
        var state = DispatcherState(maxRequests: 3, maxRequestsPerHost: 2)
        #expect(state.admit(1, host: "a") == .run)
        #expect(state.admit(2, host: "a") == .run)
        #expect(state.admit(3, host: "a") == .wait)
        #expect(state.admit(4, host: "b") == .run)
        #expect(state.admit(5, host: "b") == .wait)  // total limit
        #expect(state.admit(6, host: "c") == .wait)
        #expect(state.runningCount == 3)
        #expect(state.queuedCount == 3)
        // A finish for "a" frees a total slot: the first queued call that fits runs.
        #expect(state.finish(host: "a") == [3])
        #expect(state.finish(host: "b") == [5])
        #expect(state.finish(host: "a") == [6])
        #expect(state.queuedCount == 0)
    }

    @Test("A waiter for a host at its limit does not block others behind it")
    func skipsFullHosts() {
        var state = DispatcherState(maxRequests: 10, maxRequestsPerHost: 1)
        #expect(state.admit(1, host: "a") == .run)
        #expect(state.admit(2, host: "a") == .wait)
        #expect(state.admit(3, host: "b") == .run)
        #expect(state.admit(4, host: "b") == .wait)
        #expect(state.finish(host: "b") == [4])
        #expect(state.finish(host: "a") == [2])
    }

    @Test("A new call does not overtake a queued call to the same host")
    func fifoPerHost() {
        var state = DispatcherState(maxRequests: 1, maxRequestsPerHost: 1)
        #expect(state.admit(1, host: "a") == .run)
        #expect(state.admit(2, host: "b") == .wait)
        #expect(state.finish(host: "a") == [2])
        #expect(state.admit(3, host: "b") == .wait)
    }

    @Test("Calls that may multiplex skip the per-host limit but not the total, nor queued calls")
    func multiplexedCalls() {
        var state = DispatcherState(maxRequests: 4, maxRequestsPerHost: 1)
        #expect(state.admit(1, host: "h2", perHost: false) == .run)
        #expect(state.admit(2, host: "h2", perHost: false) == .run)
        #expect(state.admit(3, host: "h2", perHost: false) == .run)
        // An HTTP/1.1 call to the same host is counted on its own per-host budget.
        #expect(state.admit(4, host: "h2") == .run)
        #expect(state.admit(5, host: "h2", perHost: false) == .wait)  // total limit
        #expect(state.admit(6, host: "a") == .wait)
        // A multiplexed finish frees a total slot only: the oldest waiter runs.
        #expect(state.finish(host: "h2", perHost: false) == [5])
        #expect(state.finish(host: "h2", perHost: false) == [6])
        // The per-host budget of "h2" is still taken by call 4.
        #expect(state.admit(7, host: "h2") == .wait)
        #expect(state.finish(host: "h2") == [7])
    }

    @Test("A multiplexed call runs past calls queued for a host at its limit")
    func multiplexedOvertakesHostLimitedWaiters() {
        var state = DispatcherState(maxRequests: 10, maxRequestsPerHost: 1)
        #expect(state.admit(1, host: "h", perHost: true) == .run)
        #expect(state.admit(2, host: "h", perHost: true) == .wait)
        #expect(state.admit(3, host: "h", perHost: false) == .run)
        #expect(state.runningCount == 2)
    }

    @Test("Cancelled waiters leave the queue and are never promoted")
    func cancel() {
        var state = DispatcherState(maxRequests: 1, maxRequestsPerHost: 1)
        #expect(state.admit(1, host: "a") == .run)
        #expect(state.admit(2, host: "a") == .wait)
        #expect(state.admit(3, host: "a") == .wait)
        let removed = state.cancel(2)
        let removedAgain = state.cancel(2)
        #expect(removed)
        #expect(!removedAgain)
        #expect(state.queuedCount == 1)
        #expect(state.finish(host: "a") == [3])
        let removedAfterPromotion = state.cancel(3)
        #expect(!removedAfterPromotion)
    }

    @Test("Long queues are compacted without losing order")
    func compaction() {
        var state = DispatcherState(maxRequests: 1, maxRequestsPerHost: 1)
        #expect(state.admit(0, host: "h") == .run)
        for id in 1...300 { #expect(state.admit(UInt64(id), host: "h") == .wait) }
        for id in 1...300 { #expect(state.finish(host: "h") == [UInt64(id)]) }
        #expect(state.queuedCount == 0)
    }
}

@Suite("Dispatcher actor")
struct DispatcherActorTests {
    @Test("A cancelled waiter throws CancellationError and leaves the queue at once")
    func cancelledWaiter() async throws {
        let dispatcher = Dispatcher(maxRequests: 1, maxRequestsPerHost: 1)
        try await dispatcher.admit(host: "h")
        let waiter = Task { try await dispatcher.admit(host: "h") }
        while await dispatcher.queuedCallsCount == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await dispatcher.queuedCallsCount == 0)
        await dispatcher.finished(host: "h")
        #expect(await dispatcher.runningCallsCount == 0)
    }
}
