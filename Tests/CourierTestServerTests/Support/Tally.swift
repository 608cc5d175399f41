import Synchronization

/// Counts tasks inside a section and remembers the most that were in it at once.
final class Tally: Sendable {
    private let counts = Mutex((now: 0, peak: 0))

    func enter() {
        counts.withLock { counts in
            counts.now += 1
            counts.peak = max(counts.peak, counts.now)
        }
    }

    func leave() {
        counts.withLock { $0.now -= 1 }
    }

    var peak: Int { counts.withLock { $0.peak } }
}
