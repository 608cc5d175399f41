import CourierCore

/// The steps that several events share.
///
/// The steps every request takes (a lease, a release) reach the dictionaries' values through an
/// index found once: `dict[key]!.field` hashes the key at each use, copies the whole value out
/// to read one field (retaining every array in it) and moves it out and back to change one.
/// The pool had become a ninth of an HTTP/1.1 request's CPU at 64 in flight. Indices stay
/// valid only while no key is added or removed, so each step finds its own.
///
/// Reads go through ``field(_:_:)`` too: `values[index].field` calls the getter of
/// `Dictionary.Values`, which still copies the whole value out, while an `inout` access
/// yields it in place.
extension ConnectionPoolState {
    /// One field of a value reached in place (see above).
    static func field<Value, Field>(_ value: inout Value, _ read: (inout Value) -> Field) -> Field {
        read(&value)
    }

    /// The phase of the connection at `index`, read in place.
    mutating func phase(at index: Dictionary<ConnectionID, Connection>.Index) -> Phase {
        Self.field(&connections.values[index]) { $0.phase }
    }

    /// A busy multiplexed connection with a free stream: sharing it keeps idle ones idle.
    mutating func leaseSpareStream(_ request: RequestID, at entry: Dictionary<Address, AddressState>.Index) -> Lease? {
        for id in Self.field(&addresses.values[entry], { $0.multiplexed }) {
            guard let index = connections.index(forKey: id), case .active(var active) = phase(at: index),
                active.leased > 0, active.hasRoom
            else { continue }
            active.leased += 1
            connections.values[index].phase = .active(active)
            return Lease(request: request, connection: id, reused: true, checkHealth: false)
        }
        return nil
    }

    /// The most recently used idle connection with room. The timer stays as it is (see `TimerAction`).
    mutating func leaseIdle(_ request: RequestID, at entry: Dictionary<Address, AddressState>.Index) -> Lease? {
        guard let position = lastIdleWithRoom(at: entry) else { return nil }
        let id = addresses.values[entry].idle.remove(at: position)
        idleConnectionCount -= 1
        guard let index = connections.index(forKey: id), case .active(var active) = phase(at: index) else {
            preconditionFailure("\(id) idle but not active")
        }
        let lease = Lease(request: request, connection: id, reused: active.used, checkHealth: true)
        active.idleSince = nil
        active.leased = 1
        active.used = true
        connections.values[index].phase = .active(active)
        return lease
    }

    /// Where the newest idle connection with room sits on the idle stack of the address at `entry`.
    private mutating func lastIdleWithRoom(at entry: Dictionary<Address, AddressState>.Index) -> Int? {
        let idle = Self.field(&addresses.values[entry]) { $0.idle }
        for position in idle.indices.reversed() {
            guard let index = connections.index(forKey: idle[position]) else { continue }
            if case .active(let active) = phase(at: index), active.hasRoom { return position }
        }
        return nil
    }

    /// Leases `id` to its address's waiters, oldest first, while it has room; then to the
    /// waiters of the addresses it is shared with.
    mutating func serveWaiters(on id: ConnectionID, into action: inout Action) {
        // Under steady load nobody waits: a release need not look its addresses up at all.
        guard !waiting.isEmpty else { return }
        serveWaiters(on: id, from: connections[id]!.address, into: &action)
        for address in connections[id]!.sharedWith {
            serveWaiters(on: id, from: address, into: &action)
        }
    }

    /// Leases `id` to the waiters of `address`, oldest first, while it has room.
    mutating func serveWaiters(on id: ConnectionID, from address: Address, into action: inout Action) {
        guard case .active(var active) = connections[id]!.phase else { return }
        guard active.hasRoom, !addresses[address]!.waiters.isEmpty else { return }
        if active.idleSince != nil {
            removeIdle(id, at: connections[id]!.address)
            active.idleSince = nil
        }
        while active.hasRoom, let waiter = addresses[address]!.waiters.popFirst() {
            waiting[waiter.id] = nil
            let sat = active.leased == 0 && active.used
            action.request.add(Lease(request: waiter.id, connection: id, reused: active.used, checkHealth: sat))
            active.leased += 1
            active.used = true
        }
        connections[id]!.phase = .active(active)
    }

    /// Puts an active connection with no exchange on its address's idle stack, closing the
    /// oldest idle connection beyond the limit, and arms the timer if it is not armed.
    mutating func makeIdle(_ id: ConnectionID, now: ContinuousClock.Instant, into action: inout Action) {
        guard let index = connections.index(forKey: id), case .active(var active) = phase(at: index) else { return }
        active.idleSince = now
        connections.values[index].phase = .active(active)
        let entry = addresses.index(forKey: Self.field(&connections.values[index]) { $0.address })!
        addresses.values[entry].idle.append(id)
        idleConnectionCount += 1
        if idleConnectionCount > maxIdleConnections, let oldest = oldestIdle() {
            let address = connections[oldest]!.address
            removeIdle(oldest, at: address)
            forget(oldest)
            forgetIfEmpty(address)
            action.connection.add(.close(oldest))
        }
        if timerDeadline == nil && idleConnectionCount > 0 {
            timerDeadline = now + keepAlive
            action.timer = .schedule(at: now + keepAlive)
        }
    }

    /// Creates attempts for the waiters of `address` that none in flight covers, within the
    /// per-address limit. Each is made on behalf of the first waiter it covers.
    mutating func createNeeded(at address: Address, into action: inout ConnectionAction) {
        while needsAttempt(at: address) {
            let waiters = addresses[address]!.waiters
            let waiter = waiters[min(addresses[address]!.connecting.count, waiters.count - 1)]
            let id = ConnectionID(nextConnectionID)
            nextConnectionID += 1
            connections[id] = Connection(address: address, phase: .connecting(mayMultiplex: waiter.multiplexable))
            addresses[address]!.connecting.append(id)
            if waiter.multiplexable { addresses[address]!.connectingMayMultiplex += 1 }
            action.add(.create(Creation(connection: id, address: address, request: waiter.id)))
        }
    }

    private func needsAttempt(at address: Address) -> Bool {
        guard !isShutDown, let entry = addresses[address] else { return false }
        let underLimit = maxConnectionsPerAddress.map { entry.openCount + entry.connecting.count < $0 } ?? true
        return underLimit && entry.attemptsNeeded > entry.connecting.count
    }

    /// Closes an open connection and gives its waiters (and those of the addresses it was
    /// shared with) the slot it held under the limit.
    mutating func closeAndReplace(_ id: ConnectionID, at address: Address) -> Action {
        removeIdle(id, at: address)
        let shared = connections[id]!.sharedWith
        forget(id)
        var action = Action(connection: .close(id))
        for affected in [address] + shared {
            createNeeded(at: affected, into: &action.connection)
            forgetIfEmpty(affected)
        }
        return action
    }

    /// Drops an open connection from every list; the caller decides whether to close it.
    mutating func forget(_ id: ConnectionID) {
        stopSharing(id)
        let address = connections.removeValue(forKey: id)!.address
        addresses[address]!.openCount -= 1
        if let index = addresses[address]!.multiplexed.firstIndex(of: id) {
            addresses[address]!.multiplexed.remove(at: index)
        }
    }

    /// Takes `id` off its idle stack if it is there.
    mutating func removeIdle(_ id: ConnectionID, at address: Address) {
        guard let index = addresses[address]!.idle.lastIndex(of: id) else { return }
        addresses[address]!.idle.remove(at: index)
        idleConnectionCount -= 1
        if case .active(var active) = connections[id]!.phase {
            active.idleSince = nil
            connections[id]!.phase = .active(active)
        }
    }

    mutating func removeAttempt(_ id: ConnectionID, at address: Address, mayMultiplex: Bool) {
        addresses[address]!.connecting.removeAll { $0 == id }
        if mayMultiplex { addresses[address]!.connectingMayMultiplex -= 1 }
    }

    /// Removes an attempt and forgets it; the caller cancels it.
    mutating func dropAttempt(_ id: ConnectionID) {
        guard case .connecting(let mayMultiplex) = connections[id]!.phase else { return }
        removeAttempt(id, at: connections[id]!.address, mayMultiplex: mayMultiplex)
        connections[id] = nil
    }

    mutating func forgetIfEmpty(_ address: Address) {
        if addresses[address]?.isEmpty == true { addresses[address] = nil }
    }

    /// The idle connection that has been idle longest, over all addresses.
    func oldestIdle() -> ConnectionID? {
        var oldest: (id: ConnectionID, since: ContinuousClock.Instant)?
        for entry in addresses.values {
            guard let id = entry.idle.first, case .active(let active) = connections[id]!.phase,
                let since = active.idleSince
            else { continue }
            if oldest == nil || since < oldest!.since { oldest = (id, since) }
        }
        return oldest?.id
    }
}
