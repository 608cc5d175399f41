package import CourierCore

/// Keeps connections for reuse, as OkHttp's `RealConnectionPool` does: per address, allocated
/// by exchange capacity; at most `maxIdleConnections` idle in all, each closed after `keepAlive`
/// without use.
///
/// Eviction is one task per pool that sleeps until the next idle connection expires; there is
/// no polling and no thread.
package actor ConnectionPool {
    private struct Entry {
        let connection: any PooledConnection
        var exchanges = 0
        /// When the last exchange ended, while there is none.
        var idleSince: ContinuousClock.Instant?
    }

    package let maxIdleConnections: Int
    package let keepAlive: Duration
    private var entries: [Address: [Entry]] = [:]
    private var evictionScheduled = false

    package init(maxIdleConnections: Int = 5, keepAlive: Duration = .seconds(300)) {
        self.maxIdleConnections = maxIdleConnections
        self.keepAlive = keepAlive
    }

    /// Connections open: idle plus carrying exchanges.
    package var openConnectionCount: Int { entries.values.reduce(0) { $0 + $1.count } }
    package var idleConnectionCount: Int { entries.values.reduce(0) { $0 + $1.count { $0.exchanges == 0 } } }

    /// A connection to `address` with room for one more exchange, now counting it; nil if there
    /// is none. The most recently used idle connection is preferred; unhealthy ones are closed.
    package func acquire(_ address: Address) -> (any PooledConnection)? {
        guard var list = entries[address] else { return nil }
        defer { entries[address] = list.isEmpty ? nil : list }
        // Busy connections with spare capacity first (HTTP/2), then idle ones, newest first.
        if let index = list.firstIndex(where: { $0.exchanges > 0 && $0.exchanges < $0.connection.exchangeCapacity }) {
            list[index].exchanges += 1
            return list[index].connection
        }
        while let index = list.lastIndex(where: { $0.exchanges == 0 }) {
            let entry = list.remove(at: index)
            guard entry.connection.isHealthy, entry.connection.exchangeCapacity > 0 else {
                entry.connection.close()
                continue
            }
            list.append(Entry(connection: entry.connection, exchanges: 1, idleSince: nil))
            return entry.connection
        }
        return nil
    }

    /// Adds a new connection that is about to carry one exchange.
    package func add(_ connection: any PooledConnection) {
        entries[connection.info.route.address, default: []].append(Entry(connection: connection, exchanges: 1))
    }

    /// Ends one exchange on `connection`. A connection that cannot be reused is closed and
    /// forgotten; one with no exchange left goes idle.
    package func release(_ connection: any PooledConnection, reusable: Bool) {
        let address = connection.info.route.address
        guard let index = entries[address]?.firstIndex(where: { $0.connection === connection }) else {
            connection.close()
            return
        }
        guard reusable, maxIdleConnections > 0 else {
            entries[address]!.remove(at: index)
            if entries[address]!.isEmpty { entries[address] = nil }
            connection.close()
            return
        }
        entries[address]![index].exchanges -= 1
        guard entries[address]![index].exchanges == 0 else { return }
        entries[address]![index].idleSince = .now
        if idleConnectionCount > maxIdleConnections { closeOldestIdle() }
        scheduleEviction()
    }

    /// Closes every idle connection now.
    package func evictAll() {
        for (address, list) in entries {
            let (idle, busy) = list.partitioned { $0.exchanges == 0 }
            for entry in idle { entry.connection.close() }
            entries[address] = busy.isEmpty ? nil : busy
        }
    }

    private func closeOldestIdle() {
        guard let (address, index, _) = oldestIdle() else { return }
        let entry = entries[address]!.remove(at: index)
        if entries[address]!.isEmpty { entries[address] = nil }
        entry.connection.close()
    }

    private func oldestIdle() -> (Address, Int, ContinuousClock.Instant)? {
        var oldest: (Address, Int, ContinuousClock.Instant)?
        for (address, list) in entries {
            for (index, entry) in list.enumerated() {
                if let since = entry.idleSince, oldest == nil || since < oldest!.2 { oldest = (address, index, since) }
            }
        }
        return oldest
    }

    private func scheduleEviction() {
        guard !evictionScheduled, let (_, _, since) = oldestIdle() else { return }
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
        for (address, list) in entries {
            let (expired, kept) = list.partitioned { entry in entry.idleSince.map { now - $0 >= keepAlive } ?? false }
            for entry in expired { entry.connection.close() }
            entries[address] = kept.isEmpty ? nil : kept
        }
        scheduleEviction()
    }
}

extension Array {
    fileprivate func partitioned(by isFirst: (Element) -> Bool) -> ([Element], [Element]) {
        var first: [Element] = []
        var second: [Element] = []
        for element in self {
            if isFirst(element) { first.append(element) } else { second.append(element) }
        }
        return (first, second)
    }
}
