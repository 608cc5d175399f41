import Synchronization

/// How late a task on the cooperative pool wakes from a 1 ms sleep while a benchmark runs: a
/// pool whose threads block (file I/O, a lock held across a syscall) wakes it late, by as long
/// as they stay blocked; a pool that is only busy wakes it late by one job's length.
///
/// Started before the timed part and stopped after it; `BENCH_PROBE=1` turns it on.
public final class PoolProbe: Sendable {
    private let latenesses = Mutex<[Double]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init() {}

    public func start() {
        let probe = Task { [self] in
            let clock = ContinuousClock()
            while !Task.isCancelled {
                let asked = clock.now + .milliseconds(1)
                guard (try? await Task.sleep(until: asked, clock: clock)) != nil else { return }
                let late = clock.now - asked
                latenesses.withLock {
                    $0.append(Double(late.components.seconds) * 1e3 + Double(late.components.attoseconds) / 1e15)
                }
            }
        }
        task.withLock { $0 = probe }
    }

    /// Stops the probe; its line for the runner: the wake-ups, and the median, 99th percentile
    /// and largest lateness in milliseconds.
    public func stop() async -> String {
        let probe = task.withLock { $0 }
        probe?.cancel()
        await probe?.value
        let sorted = latenesses.withLock { $0 }.sorted()
        guard !sorted.isEmpty else { return "PROBE wakeups=0" }
        func at(_ fraction: Double) -> String { rounded(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) }
        return "PROBE wakeups=\(sorted.count) late_p50_ms=\(at(0.5)) late_p99_ms=\(at(0.99)) late_max_ms=\(rounded(sorted.last!))"
    }
}
