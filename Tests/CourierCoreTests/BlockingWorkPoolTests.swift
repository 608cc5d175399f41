import Dispatch
import Synchronization
import Testing

@testable import CourierCore

@Suite("Blocking-work pool")
struct BlockingWorkPoolTests {
    @Test("Work that blocks every pool thread leaves the cooperative pool free")
    func dedicatedThreads() async throws {
        let pool = BlockingWorkPool(threads: 2)
        let release = DispatchSemaphore(value: 0)
        let state = Locked((started: 0, released: false))
        // Whatever happens below, the pool's threads are let go within 5 s: if they were
        // cooperative-pool threads, blocking them would stall this test until then.
        let releaseAll: @Sendable () -> Void = {
            let first = state.withLock { state in
                defer { state.released = true }
                return !state.released
            }
            if first { (0..<2).forEach { _ in release.signal() } }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + 5, execute: releaseAll)
        let jobs = (0..<2).map { _ in
            Task {
                try await pool.run {
                    state.withLock { $0.started += 1 }
                    release.wait()
                }
            }
        }
        while state.withLock({ $0.started < 2 && !$0.released }) { await Task.yield() }

        // Both pool threads are blocked now; tasks on the cooperative pool still run.
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    await Task.yield()
                    return (0...task).reduce(0, +)
                }
            }
            return try await group.reduce(0, +)
        }
        let stillBlocked = state.withLock { $0.started == 2 && !$0.released }
        releaseAll()
        for job in jobs { try await job.value }
        #expect(sums == 84)
        #expect(stillBlocked)
    }

    @Test("Results and errors come back to the caller")
    func results() async throws {
        let pool = BlockingWorkPool(threads: 1)
        #expect(try await pool.run { 6 * 7 } == 42)
        await #expect(throws: PoolTestFailure.self) { try await pool.run { throw PoolTestFailure() } }
        let done = Locked(false)
        pool.submit { done.withLock { $0 = true } }
        #expect(try await pool.run { done.withLock { $0 } })  // one thread: in order
    }

    @Test("A cancelled caller of runAbandoningOnCancel returns while its work still blocks")
    func abandonOnCancel() async throws {
        let pool = BlockingWorkPool(threads: 1)
        let release = DispatchSemaphore(value: 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { release.signal() }
        let started = Locked(false)
        let caller = Task {
            try await pool.runAbandoningOnCancel {
                started.withLock { $0 = true }
                release.wait()
                return 1
            }
        }
        while !started.withLock({ $0 }) { await Task.yield() }
        let cancelledAt = ContinuousClock.now
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(ContinuousClock.now - cancelledAt < .seconds(2))
        release.signal()
    }
}

private struct PoolTestFailure: Error {}

/// A value behind a lock, shareable with the pool's closures.
private final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T {
        mutex.withLock { body(&$0) }
    }
}
