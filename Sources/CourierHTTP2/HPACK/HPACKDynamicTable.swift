/// The dynamic table of RFC 7541 §2.3.2 and §4: newest entry first, bounded by a size in
/// octets (each entry charged its name, value and 32), oldest entries evicted to make room.
///
/// The encoder and the decoder each keep one and change it in the same order, which is what keeps
/// them in step. Entries also have an id, their insertion number, that survives the index shifts
/// every insertion causes: the encoder's lookups store ids, not indices.
package struct HPACKDynamicTable: Sendable {
    /// Entries oldest first from `start`; slots before `start` were evicted and are dropped in
    /// batches, so eviction is O(1) amortised and insertion never shifts the live entries.
    private var storage: [HPACKField] = []
    private var start = 0
    /// The sum of the live entries' sizes.
    package private(set) var size = 0
    /// The largest `size` may be: the last size update (RFC 7541 §6.3), or the initial setting.
    package private(set) var capacity: Int
    /// Entries ever inserted; the newest entry's id is `insertedCount - 1`.
    package private(set) var insertedCount = 0

    package init(capacity: Int) {
        self.capacity = capacity
    }

    package var count: Int { storage.count - start }

    /// The entry at a 1-based index, 1 being the newest. `index` must be in `1...count`.
    package subscript(index: Int) -> HPACKField { storage[storage.count - index] }

    /// The id of the entry at a 1-based index.
    package func id(at index: Int) -> Int { insertedCount - index }

    /// The 1-based index of the entry with this id, or nil if it has been evicted.
    package func index(ofID id: Int) -> Int? {
        let index = insertedCount - id
        return index <= count ? index : nil
    }

    /// Inserts `field` as the newest entry after evicting what it needs (RFC 7541 §4.4). A field
    /// larger than the capacity empties the table and is not inserted.
    package mutating func insert(_ field: HPACKField) {
        evict(toFit: capacity - field.size)
        guard field.size <= capacity else { return }
        insertedCount += 1
        storage.append(field)
        size += field.size
    }

    /// Applies a new maximum size, evicting the oldest entries until the rest fit (RFC 7541 §4.3).
    package mutating func setCapacity(_ newCapacity: Int) {
        capacity = newCapacity
        evict(toFit: newCapacity)
    }

    private mutating func evict(toFit limit: Int) {
        while size > max(limit, 0), start < storage.count {
            size -= storage[start].size
            start += 1
        }
        if start == storage.count {
            storage.removeAll(keepingCapacity: true)
            start = 0
        } else if start >= 32 && start * 2 >= storage.count {
            storage.removeFirst(start)
            start = 0
        }
    }
}
