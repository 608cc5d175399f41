import CourierCore

extension ConnectionPoolState {
    /// One connection's bookkeeping. Read out of the `connections` dictionary several times per
    /// request, so it is cheap to copy: the address sits behind one reference.
    struct Connection {
        private let boxed: AddressBox
        var phase: Phase
        /// Other addresses whose requests it carries too (connection coalescing): same IP, a
        /// certificate that covers their hosts. Empty unless it is an active HTTP/2 connection.
        var sharedWith: [Address] = []
        /// False once a server refused, with 421, a request for another host on it: it is never
        /// shared again (OkHttp's `noCoalescedConnections`).
        var mayShare = true

        init(address: Address, phase: Phase) {
            boxed = AddressBox(address)
            self.phase = phase
        }

        var address: Address { boxed.address }
    }

    final class AddressBox {
        let address: Address

        init(_ address: Address) {
            self.address = address
        }
    }

    enum Phase {
        /// `mayMultiplex`: it offers HTTP/2 (ALPN, or h2c prior knowledge), so it may carry
        /// many exchanges once connected.
        case connecting(mayMultiplex: Bool)
        case active(Active)
        /// No new exchanges; closed when the last of `leased` ends.
        case draining(leased: Int)
    }

    struct Active {
        var multiplexed: Bool
        var capacity: Int
        var leased = 0
        /// It has carried an exchange.
        var used = false
        /// Set while it sits on its address's idle stack.
        var idleSince: ContinuousClock.Instant?

        var hasRoom: Bool { leased < capacity }
    }

    struct Waiter {
        let id: RequestID
        let multiplexable: Bool
        /// Waits ahead of the requests not tried yet
        /// (see ``ConnectionPoolState/acquire(_:to:multiplexable:ahead:)``).
        var ahead = false
    }

    /// Everything the pool knows about one address.
    ///
    /// Invariant: a request waits only while no connection to its address has room, so a
    /// connection that gains room serves the oldest waiter before it goes idle.
    struct AddressState {
        /// Idle connections, oldest first: reuse pops the newest, eviction takes the oldest.
        var idle: [ConnectionID] = []
        /// Multiplexed connections that take new exchanges (not draining).
        var multiplexed: [ConnectionID] = []
        /// Multiplexed connections to other addresses that carry this one's requests too.
        var coalesced: [ConnectionID] = []
        /// Attempts in flight, oldest first.
        var connecting: [ConnectionID] = []
        /// Attempts in flight that offered HTTP/2.
        var connectingMayMultiplex = 0
        /// Open connections: idle, busy or draining.
        var openCount = 0
        var waiters = WaiterQueue()
        /// An attempt that offered HTTP/2 got HTTP/1.1, and no HTTP/2 connection came since:
        /// multiplexable requests stop waiting on attempts that will most likely not multiplex.
        /// Kept after the address's last connection closes, so it costs one entry per such origin.
        var answersHTTP1 = false

        var isEmpty: Bool {
            openCount == 0 && connecting.isEmpty && waiters.isEmpty && coalesced.isEmpty && !answersHTTP1
        }

        /// An attempt in flight may turn out HTTP/2 and then serve every multiplexable waiter.
        var hasHopefulAttempt: Bool { connectingMayMultiplex > 0 && !answersHTTP1 }

        /// Attempts the waiters need in flight: one each, except that multiplexable waiters share
        /// one while a hopeful attempt is in flight.
        func attemptsNeeded(hopeful: Bool) -> Int {
            guard hopeful else { return waiters.count }
            let shared = waiters.multiplexableCount
            return waiters.count - shared + (shared > 0 ? 1 : 0)
        }

        var attemptsNeeded: Int { attemptsNeeded(hopeful: hasHopefulAttempt) }
    }

    /// Waiting requests of one address, first in first out (those waiting ahead first); removal
    /// from the middle (a cancelled waiter) is linear, and the array is compacted lazily as
    /// `DispatcherState` does.
    struct WaiterQueue {
        private var items: [Waiter] = []
        private var head = 0
        private(set) var multiplexableCount = 0

        var count: Int { items.count - head }
        var isEmpty: Bool { head == items.count }
        var ids: [RequestID] { items[head...].map(\.id) }

        /// The waiter `offset` places behind the oldest.
        subscript(offset: Int) -> Waiter { items[head + offset] }

        /// Queues `waiter` last, or, when it waits `ahead`, behind the other such waiters only.
        mutating func append(_ waiter: Waiter) {
            if waiter.ahead, let first = items[head...].firstIndex(where: { !$0.ahead }) {
                items.insert(waiter, at: first)
            } else {
                items.append(waiter)
            }
            if waiter.multiplexable { multiplexableCount += 1 }
        }

        mutating func popFirst() -> Waiter? {
            guard head < items.count else { return nil }
            let waiter = items[head]
            head += 1
            if waiter.multiplexable { multiplexableCount -= 1 }
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 64 && head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return waiter
        }

        mutating func remove(_ id: RequestID) -> Bool {
            guard let index = items[head...].firstIndex(where: { $0.id == id }) else { return false }
            if items[index].multiplexable { multiplexableCount -= 1 }
            items.remove(at: index)
            return true
        }

        mutating func removeAll() -> [RequestID] {
            let all = ids
            self = WaiterQueue()
            return all
        }
    }
}
