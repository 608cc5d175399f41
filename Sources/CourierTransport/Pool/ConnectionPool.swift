package import CourierCore

/// Keeps connections for reuse, as OkHttp's `RealConnectionPool` does: per address, allocated
/// by exchange capacity; at most `maxIdleConnections` idle in all, each closed after `keepAlive`
/// without use.
///
/// Every call is O(1) in the number of connections (an idle stack per address, counters, slots
/// found by identity), because the pool is an actor that every request passes through twice.
/// Eviction is one task per pool that sleeps until the next idle connection expires; there is no
/// polling and no thread.
package actor ConnectionPool {
    /// One connection's bookkeeping; a class so that lists and the index share it without copies.
    private final class Slot {
        let connection: any PooledConnection
        var exchanges = 1
        /// When the last exchange ended, while there is none.
        var idleSince: ContinuousClock.Instant?

        init(_ connection: any PooledConnection) {
            self.connection = connection
        }
    }

    private struct Connections {
        var slots: [ObjectIdentifier: Slot] = [:]
        /// Idle slots, oldest first: the newest is reused first, the oldest evicted first.
        var idle: [Slot] = []
        /// Busy slots that can take more exchanges (multiplexed connections).
        var spare: [Slot] = []
    }

    package let maxIdleConnections: Int
    package let keepAlive: Duration
    private var addresses: [Address: Connections] = [:]
    private var openCount = 0
    private var idleCount = 0
    private var evictionScheduled = false

    package init(maxIdleConnections: Int = 5, keepAlive: Duration = .seconds(300)) {
        self.maxIdleConnections = maxIdleConnections
        self.keepAlive = keepAlive
    }

    /// Connections open: idle plus carrying exchanges.
    package var openConnectionCount: Int { openCount }
    package var idleConnectionCount: Int { idleCount }

    /// A connection to `address` with room for one more exchange, now counting it; nil if there
    /// is none. A busy multiplexed connection is preferred, then the most recently used idle one;
    /// unhealthy idle connections are closed on the way.
    package func acquire(_ address: Address) -> (any PooledConnection)? {
        guard addresses[address] != nil else { return nil }
        defer { removeIfEmpty(address) }
        if let slot = addresses[address]!.spare.last {
            slot.exchanges += 1
            if slot.exchanges >= slot.connection.exchangeCapacity { addresses[address]!.spare.removeLast() }
            return slot.connection
        }
        while let slot = addresses[address]!.idle.popLast() {
            idleCount -= 1
            guard slot.connection.isHealthy, slot.connection.exchangeCapacity > 0 else {
                forget(slot, at: address)
                slot.connection.close()
                continue
            }
            slot.exchanges = 1
            slot.idleSince = nil
            if slot.connection.exchangeCapacity > 1 { addresses[address]!.spare.append(slot) }
            return slot.connection
        }
        return nil
    }

    /// Adds a new connection that is about to carry one exchange.
    package func add(_ connection: any PooledConnection) {
        let slot = Slot(connection)
        let address = connection.info.route.address
        addresses[address, default: Connections()].slots[ObjectIdentifier(connection)] = slot
        if connection.exchangeCapacity > 1 { addresses[address]!.spare.append(slot) }
        openCount += 1
    }

    /// Ends one exchange on `connection`. A connection that cannot be reused is closed and
    /// forgotten; one with no exchange left goes idle.
    package func release(_ connection: any PooledConnection, reusable: Bool) {
        let address = connection.info.route.address
        guard let slot = addresses[address]?.slots[ObjectIdentifier(connection)] else {
            connection.close()
            return
        }
        guard reusable, maxIdleConnections > 0 else {
            forget(slot, at: address)
            removeIfEmpty(address)
            connection.close()
            return
        }
        let hadRoom = slot.exchanges < connection.exchangeCapacity
        slot.exchanges -= 1
        if slot.exchanges > 0 {
            if !hadRoom { addresses[address]!.spare.append(slot) }
            return
        }
        addresses[address]!.spare.removeAll { $0 === slot }
        slot.idleSince = .now
        addresses[address]!.idle.append(slot)
        idleCount += 1
        if idleCount > maxIdleConnections { closeOldestIdle() }
        scheduleEviction()
    }

    /// Closes every idle connection now.
    package func evictAll() {
        for address in Array(addresses.keys) {
            for slot in addresses[address]!.idle { forget(slot, at: address, idle: true) }
            removeIfEmpty(address)
        }
    }

    /// Drops a slot from every list; `idle` when it sits on an idle stack.
    private func forget(_ slot: Slot, at address: Address, idle: Bool = false) {
        addresses[address]!.slots[ObjectIdentifier(slot.connection)] = nil
        addresses[address]!.spare.removeAll { $0 === slot }
        if idle {
            addresses[address]!.idle.removeAll { $0 === slot }
            idleCount -= 1
            slot.connection.close()
        }
        openCount -= 1
    }

    /// Forgets an address with no connection left; called once an operation is done with it.
    private func removeIfEmpty(_ address: Address) {
        if addresses[address]?.slots.isEmpty == true { addresses[address] = nil }
    }

    private func closeOldestIdle() {
        guard let (address, _) = oldestIdle() else { return }
        forget(addresses[address]!.idle[0], at: address, idle: true)
        removeIfEmpty(address)
    }

    /// The address whose idle stack starts with the oldest idle connection, and that connection's time.
    private func oldestIdle() -> (Address, ContinuousClock.Instant)? {
        var oldest: (Address, ContinuousClock.Instant)?
        for (address, connections) in addresses {
            if let since = connections.idle.first?.idleSince, oldest == nil || since < oldest!.1 {
                oldest = (address, since)
            }
        }
        return oldest
    }

    private func scheduleEviction() {
        guard !evictionScheduled, let (_, since) = oldestIdle() else { return }
        evictionScheduled = true
        let deadline = since + keepAlive
        Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.evictExpired()
        }
    }

    private func evictExpired() {
        evictionScheduled = false
        let now = ContinuousClock.now
        for address in Array(addresses.keys) {
            while let first = addresses[address]?.idle.first, let since = first.idleSince, now - since >= keepAlive {
                forget(first, at: address, idle: true)
            }
            removeIfEmpty(address)
        }
        scheduleEviction()
    }
}
