/// The connection's streams by identifier, with a dictionary's subscript and none of its cost.
///
/// A stream is read and changed in place many times per frame (`streams[id]!.receiveWindow -= n`).
/// Through `Dictionary<UInt32, HTTP2StreamState>`, each change runs the dictionary's `_modify`
/// coroutine, which moves the value into a temporary and back, and a stream is too large for the
/// coroutine's inline frame: one `malloc` per access, 85 % of a download's allocations when we
/// measured it (a `_modify` of our own, yielding from a box, still allocated its frame). Here
/// each stream has a fixed address, and the subscript is a pair of addressors: no coroutine, no
/// copy, no allocation per access.
///
/// Storage is by reference, so copies of a table would share their streams: the connection
/// keeps its one table under its lock and never copies it, which also makes the
/// `@unchecked Sendable` safe. Streams enter by ``insert(_:for:)`` and leave by
/// ``removeValue(forKey:)``; a write through the subscript to an absent identifier (only
/// `streams[id]?.field = value` can make one, and it writes nothing) lands in a scratch slot.
struct HTTP2StreamTable: @unchecked Sendable {
    /// One stream's fixed address.
    private final class Slot {
        let pointer: UnsafeMutablePointer<HTTP2StreamState?>

        init() {
            pointer = .allocate(capacity: 1)
            pointer.initialize(to: nil)
        }

        deinit {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
        }
    }

    /// What reading an absent identifier sees; never written.
    private nonisolated(unsafe) static let absent: UnsafeMutablePointer<HTTP2StreamState?> = {
        let pointer = UnsafeMutablePointer<HTTP2StreamState?>.allocate(capacity: 1)
        pointer.initialize(to: nil)
        return pointer
    }()

    private var slots: [UInt32: Slot] = [:]
    private let scratch = Slot()

    subscript(id: UInt32) -> HTTP2StreamState? {
        unsafeAddress { UnsafePointer(slots[id]?.pointer ?? HTTP2StreamTable.absent) }
        unsafeMutableAddress {
            if let slot = slots[id] { return slot.pointer }
            scratch.pointer.pointee = nil
            return scratch.pointer
        }
    }

    mutating func insert(_ stream: HTTP2StreamState, for id: UInt32) {
        let slot = Slot()
        slot.pointer.pointee = stream
        slots[id] = slot
    }

    @discardableResult
    mutating func removeValue(forKey id: UInt32) -> HTTP2StreamState? {
        guard let slot = slots.removeValue(forKey: id) else { return nil }
        // The slot frees its memory in deinit: it must outlive the read.
        return withExtendedLifetime(slot) { slot.pointer.pointee }
    }

    /// The identifiers present now; a copy, so the table may change while it is walked.
    var keys: [UInt32] { Array(slots.keys) }

    var values: some Sequence<HTTP2StreamState> { slots.values.lazy.compactMap(\.pointer.pointee) }
}
