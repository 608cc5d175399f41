/// The reactor's wait deadlines: a binary min-heap indexed by waiter slot, so a deadline is
/// removed the moment its wait ends. Without removal, every satisfied read would leave its
/// deadline behind until it expired (a 10 s read timeout at 50k reads/s is half a million entries).
///
/// A key identifies one waiter position: a socket slot and a direction. Each key has at most
/// one deadline.
struct TimerHeap {
    struct Entry {
        let deadline: ContinuousClock.Instant
        let key: Int
        let waiterID: UInt64
    }

    private var entries: [Entry] = []
    /// `positions[key]` is the key's index in `entries`, or -1.
    private var positions: [Int] = []

    static func key(slot: UInt32, interest: Interest) -> Int {
        Int(slot) * 2 + (interest == .read ? 0 : 1)
    }

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var earliest: ContinuousClock.Instant? { entries.first?.deadline }

    /// Sets the deadline of `key`, replacing any it had.
    mutating func schedule(_ key: Int, deadline: ContinuousClock.Instant, waiterID: UInt64) {
        remove(key)
        if key >= positions.count { positions.append(contentsOf: repeatElement(-1, count: key + 1 - positions.count)) }
        entries.append(Entry(deadline: deadline, key: key, waiterID: waiterID))
        positions[key] = entries.count - 1
        siftUp(entries.count - 1)
    }

    /// Drops the deadline of `key`, if it has one.
    mutating func remove(_ key: Int) {
        guard key < positions.count, positions[key] >= 0 else { return }
        let index = positions[key]
        positions[key] = -1
        let last = entries.removeLast()
        guard index < entries.count else { return }
        entries[index] = last
        positions[last.key] = index
        siftDown(siftUp(index))
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(now: ContinuousClock.Instant) -> Entry? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        remove(first.key)
        return first
    }

    @discardableResult
    private mutating func siftUp(_ start: Int) -> Int {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            swapEntries(child, parent)
            child = parent
        }
        return child
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { return }
            swapEntries(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapEntries(_ a: Int, _ b: Int) {
        entries.swapAt(a, b)
        positions[entries[a].key] = a
        positions[entries[b].key] = b
    }
}
