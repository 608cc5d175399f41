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
        let (bothStarted, started) = AsyncStream.makeStream(of: Void.self)
        let releaseAll: @Sendable () -> Void = {
            let first = state.withLock { state in
                defer { state.released = true }
                return !state.released
            }
            if first { (0..<2).forEach { _ in release.signal() } }
            // Ends the wait below too, should the jobs never both start.
            started.finish()
        }
        // The pool's threads are let go below, or after 30 s whatever happens: were they the
        // cooperative pool's, blocking them would stall this test until then, and fail it. The
        // fallback runs on a queue of its own, which the cooperative pool's state cannot hold up.
        DispatchQueue(label: "release-fallback").asyncAfter(deadline: .now() + 30, execute: releaseAll)
        let jobs = (0..<2).map { _ in
            Task {
                try await pool.run {
                    if state.withLock({ state in
                        state.started += 1
                        return state.started == 2
                    }) {
                        started.finish()
                    }
                    release.wait()
                }
            }
        }
        for await _ in bothStarted {}

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
        let stillBlocked = state.withLock { !$0.released }
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
        // Let go below, or after 30 s should the caller wait for the work, which fails the test.
        DispatchQueue(label: "release-fallback").asyncAfter(deadline: .now() + 30) { release.signal() }
        let finished = Locked(false)
        let (workStarted, started) = AsyncStream.makeStream(of: Void.self)
        let caller = Task {
            try await pool.runAbandoningOnCancel {
                started.finish()
                release.wait()
                finished.withLock { $0 = true }
                return 1
            }
        }
        for await _ in workStarted {}
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        // Ordering, not time: however loaded the machine, the work is still blocked.
        #expect(!finished.withLock { $0 }, "the cancelled caller waited for its work")
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
