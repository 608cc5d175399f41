/// Keeps idle HTTP/1.1 connections for reuse, as OkHttp's `ConnectionPool` does: at most
/// `maxIdleConnections` idle in all, each closed after `keepAlive` without use.
///
/// Eviction is one task per pool that sleeps until the next idle connection expires; there is
/// no polling and no thread. Connections in use are counted, not held.
package actor ConnectionPool {
    private struct Idle {
        let connection: HTTP1Connection
        let since: ContinuousClock.Instant
    }

    package let maxIdleConnections: Int
    package let keepAlive: Duration
    private var idle: [ConnectionKey: [Idle]] = [:]
    private var idleTotal = 0
    private var inUse = 0
    private var evictionScheduled = false

    package init(maxIdleConnections: Int = 5, keepAlive: Duration = .seconds(300)) {
        self.maxIdleConnections = maxIdleConnections
        self.keepAlive = keepAlive
    }

    /// Connections open: idle plus carrying an exchange.
    package var openConnectionCount: Int { idleTotal + inUse }
    package var idleConnectionCount: Int { idleTotal }

    /// The most recently used healthy idle connection for `key`, now in use; unhealthy ones are closed.
    package func acquire(_ key: ConnectionKey) -> HTTP1Connection? {
        while let entry = idle[key]?.popLast() {
            idleTotal -= 1
            if idle[key]?.isEmpty == true { idle[key] = nil }
            if entry.connection.isHealthy {
                inUse += 1
                return entry.connection
            }
            entry.connection.close()
        }
        return nil
    }

    /// Counts a new connection that an exchange is about to use.
    package func opened(_ connection: HTTP1Connection) {
        inUse += 1
    }

    /// Takes a connection back after an exchange. A reusable one goes idle; any other is closed.
    package func release(_ connection: HTTP1Connection, reusable: Bool) {
        inUse -= 1
        guard reusable, maxIdleConnections > 0 else {
            connection.close()
            return
        }
        idle[connection.key, default: []].append(Idle(connection: connection, since: .now))
        idleTotal += 1
        if idleTotal > maxIdleConnections { closeOldestIdle() }
        scheduleEviction()
    }

    /// Closes every idle connection now.
    package func evictAll() {
        for entries in idle.values {
            for entry in entries { entry.connection.close() }
        }
        idle.removeAll()
        idleTotal = 0
    }

    private func closeOldestIdle() {
        guard let (key, index) = oldestIdle() else { return }
        let entry = idle[key]!.remove(at: index)
        if idle[key]!.isEmpty { idle[key] = nil }
        idleTotal -= 1
        entry.connection.close()
    }

    private func oldestIdle() -> (ConnectionKey, Int)? {
        var oldest: (ConnectionKey, Int, ContinuousClock.Instant)?
        for (key, entries) in idle {
            for (index, entry) in entries.enumerated() where oldest == nil || entry.since < oldest!.2 {
                oldest = (key, index, entry.since)
            }
        }
        return oldest.map { ($0.0, $0.1) }
    }

    private func scheduleEviction() {
        guard !evictionScheduled, let (key, index) = oldestIdle() else { return }
        evictionScheduled = true
        let deadline = idle[key]![index].since + keepAlive
        Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.evictExpired()
        }
    }

    private func evictExpired() {
        evictionScheduled = false
        let now = ContinuousClock.now
        for key in Array(idle.keys) {
            let (expired, alive) = idle[key]!.partitioned { now - $0.since >= keepAlive }
            for entry in expired { entry.connection.close() }
            idleTotal -= expired.count
            idle[key] = alive.isEmpty ? nil : alive
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
