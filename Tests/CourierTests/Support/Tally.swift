import Synchronization

/// Counts outcomes from many tasks at once, and hands out work items.
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let taken = Atomic<Int>(0)

    /// Takes the next work item; false once `total` have been taken.
    func take(below total: Int) -> Bool {
        taken.wrappingAdd(1, ordering: .relaxed).oldValue < total
    }

    func record(_ outcome: String) {
        counts.withLock { $0[outcome, default: 0] += 1 }
    }

    var all: [String: Int] { counts.withLock { $0 } }
}
