package import CourierCore

/// The pool's rules, free of I/O, clocks and tasks so they can be tested step by step: every
/// event is a mutating method that returns what the owner (the `ConnectionPool` actor) must do.
/// Modelled on AsyncHTTPClient's `HTTPConnectionPool.StateMachine`.
///
/// A connection carries up to `capacity` exchanges at once: one for HTTP/1.1, the peer's
/// `MAX_CONCURRENT_STREAMS` for HTTP/2. A request gets, in order of preference, a busy
/// multiplexed connection with room, the most recently used idle connection, or a new
/// connection if its address is under `maxConnectionsPerAddress`; otherwise it waits, first in
/// first out per address. A multiplexable request does not start a second connection while
/// one that may turn out HTTP/2 is in flight: it waits for that one.
///
/// `now` must never go backwards between events.
package struct ConnectionPoolState {
    package let maxIdleConnections: Int
    package let keepAlive: Duration
    /// Connecting plus open connections to one address; nil for no limit.
    package let maxConnectionsPerAddress: Int?

    var connections: [ConnectionID: Connection] = [:]
    var addresses: [Address: AddressState] = [:]
    /// The address each waiting request waits at.
    var waiting: [RequestID: Address] = [:]
    private(set) package var idleConnectionCount = 0
    /// The deadline the owner's timer is armed for.
    var timerDeadline: ContinuousClock.Instant?
    package internal(set) var isShutDown = false
    private var nextConnectionID = 0

    package init(maxIdleConnections: Int, keepAlive: Duration, maxConnectionsPerAddress: Int? = nil) {
        precondition(maxIdleConnections >= 0, "maxIdleConnections must not be negative")
        precondition(maxConnectionsPerAddress.map { $0 > 0 } ?? true, "maxConnectionsPerAddress must be positive")
        self.maxIdleConnections = maxIdleConnections
        self.keepAlive = keepAlive
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }

    // MARK: - Events

    /// A request wants a connection to `address`. `multiplexable`: a connection it opens may
    /// turn out HTTP/2. Returns a lease, a wait (perhaps creating a connection for it), or a
    /// failure after `shutdown`.
    package mutating func acquire(_ request: RequestID, to address: Address, multiplexable: Bool) -> Action {
        guard !isShutDown else { return Action(request: .fail(request, CancellationError())) }
        if addresses[address] == nil {
            addresses[address] = AddressState()
        } else if let lease = leaseSpareStream(request, at: address) ?? leaseIdle(request, at: address) {
            return Action(request: .lease(lease))
        }
        addresses[address]!.waiters.append(Waiter(id: request, multiplexable: multiplexable))
        waiting[request] = address
        var action = Action(request: .wait)
        createNeeded(at: address, into: &action.connection)
        return action
    }

    /// An attempt connected. `capacity` is how many exchanges it takes at once now;
    /// `multiplexed` says it speaks HTTP/2. It serves waiters, oldest first, up to its capacity,
    /// and goes idle if none needs it. An attempt the pool no longer knows (cancelled, or the
    /// pool shut down) is closed.
    package mutating func connected(
        _ id: ConnectionID, capacity: Int, multiplexed: Bool, now: ContinuousClock.Instant
    ) -> Action {
        guard let connection = connections[id], case .connecting(let mayMultiplex) = connection.phase else {
            return Action(connection: .close(id))
        }
        let address = connection.address
        removeAttempt(id, at: address, mayMultiplex: mayMultiplex)
        if multiplexed {
            addresses[address]!.answersHTTP1 = false
            addresses[address]!.multiplexed.append(id)
        } else if mayMultiplex {
            addresses[address]!.answersHTTP1 = true
        }
        addresses[address]!.openCount += 1
        connections[id]!.phase = .active(Active(multiplexed: multiplexed, capacity: capacity))
        var action = Action()
        serveWaiters(on: id, into: &action)
        if case .active(let active) = connections[id]!.phase, active.leased == 0 {
            makeIdle(id, now: now, into: &action)
        }
        createNeeded(at: address, into: &action.connection)
        return action
    }

    /// An attempt failed with `error`.
    ///
    /// The waiters it would have served fail with that error, oldest first, while more waiters
    /// remain than the attempts still in flight can serve (an attempt that may turn out HTTP/2
    /// serves every multiplexable waiter, any other serves one). It fails at most one waiter,
    /// unless it was the last attempt in flight that might have multiplexed: then it fails every
    /// waiter left uncovered. Waiters beyond that keep waiting for busy connections, and get
    /// new attempts as the per-address limit allows.
    package mutating func connectFailed(_ id: ConnectionID, error: any Error) -> Action {
        guard let connection = connections[id], case .connecting(let mayMultiplex) = connection.phase else {
            return Action()
        }
        let address = connection.address
        let hopefulBefore = addresses[address]!.hasHopefulAttempt
        removeAttempt(id, at: address, mayMultiplex: mayMultiplex)
        connections[id] = nil
        let lastHopeful = mayMultiplex && hopefulBefore && !addresses[address]!.hasHopefulAttempt
        let limit = lastHopeful ? Int.max : 1
        var failed: [RequestID] = []
        while failed.count < limit, addresses[address]!.attemptsNeeded > addresses[address]!.connecting.count,
            let waiter = addresses[address]!.waiters.popFirst()
        {
            waiting[waiter.id] = nil
            failed.append(waiter.id)
        }
        var action = Action(request: .failing(failed, with: error))
        createNeeded(at: address, into: &action.connection)
        forgetIfEmpty(address)
        return action
    }

    /// One exchange on `id` ended. Not `reusable`: an HTTP/1.1 connection is closed; on a
    /// multiplexed one only the stream failed, so it just frees the slot (a broken connection
    /// reports `closed` itself). The slot then serves the oldest waiter, or the connection goes
    /// idle, closing the oldest idle connection beyond `maxIdleConnections`.
    package mutating func released(_ id: ConnectionID, reusable: Bool, now: ContinuousClock.Instant) -> Action {
        guard let connection = connections[id] else { return Action() }
        let address = connection.address
        switch connection.phase {
        case .connecting:
            preconditionFailure("\(id) released while still connecting")
        case .draining(let leased):
            guard leased == 1 else {
                connections[id]!.phase = .draining(leased: leased - 1)
                return Action()
            }
            return closeAndReplace(id, at: address)
        case .active(var active):
            active.leased -= 1
            guard reusable || active.multiplexed else {
                return closeAndReplace(id, at: address)
            }
            connections[id]!.phase = .active(active)
            var action = Action()
            serveWaiters(on: id, into: &action)
            if case .active(let after) = connections[id]!.phase, after.leased == 0 {
                makeIdle(id, now: now, into: &action)
            }
            return action
        }
    }

    // MARK: - Queries

    /// Open connections (idle, busy or draining), not counting attempts in flight.
    package var openConnectionCount: Int { addresses.values.reduce(0) { $0 + $1.openCount } }
    package var connectingCount: Int { addresses.values.reduce(0) { $0 + $1.connecting.count } }
    package var waitingCount: Int { waiting.count }

    package func openConnectionCount(at address: Address) -> Int { addresses[address]?.openCount ?? 0 }
    package func idleConnectionCount(at address: Address) -> Int { addresses[address]?.idle.count ?? 0 }
    package func connectingCount(at address: Address) -> Int { addresses[address]?.connecting.count ?? 0 }
    package func waitingCount(at address: Address) -> Int { addresses[address]?.waiters.count ?? 0 }

    // MARK: - Shared steps

    /// A busy multiplexed connection with a free stream: sharing it keeps idle ones idle.
    private mutating func leaseSpareStream(_ request: RequestID, at address: Address) -> Lease? {
        for id in addresses[address]!.multiplexed {
            guard case .active(var active) = connections[id]!.phase, active.leased > 0, active.hasRoom else {
                continue
            }
            active.leased += 1
            connections[id]!.phase = .active(active)
            return Lease(request: request, connection: id, reused: true, checkHealth: false)
        }
        return nil
    }

    /// The most recently used idle connection with room. The timer stays as it is (see `TimerAction`).
    private mutating func leaseIdle(_ request: RequestID, at address: Address) -> Lease? {
        guard let index = addresses[address]!.idle.lastIndex(where: { hasRoom($0) }) else { return nil }
        let id = addresses[address]!.idle.remove(at: index)
        idleConnectionCount -= 1
        guard case .active(var active) = connections[id]!.phase else {
            preconditionFailure("\(id) idle but not active")
        }
        let lease = Lease(request: request, connection: id, reused: active.used, checkHealth: true)
        active.idleSince = nil
        active.leased = 1
        active.used = true
        connections[id]!.phase = .active(active)
        return lease
    }

    private func hasRoom(_ id: ConnectionID) -> Bool {
        guard case .active(let active) = connections[id]?.phase else { return false }
        return active.hasRoom
    }

    /// Leases `id` to its address's waiters, oldest first, while it has room.
    mutating func serveWaiters(on id: ConnectionID, into action: inout Action) {
        guard case .active(var active) = connections[id]!.phase else { return }
        let address = connections[id]!.address
        guard active.hasRoom, !addresses[address]!.waiters.isEmpty else { return }
        if active.idleSince != nil {
            removeIdle(id, at: address)
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
        guard case .active(var active) = connections[id]!.phase else { return }
        active.idleSince = now
        connections[id]!.phase = .active(active)
        addresses[connections[id]!.address]!.idle.append(id)
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

    /// Closes an open connection and gives its waiters the slot it held under the limit.
    mutating func closeAndReplace(_ id: ConnectionID, at address: Address) -> Action {
        removeIdle(id, at: address)
        forget(id)
        var action = Action(connection: .close(id))
        createNeeded(at: address, into: &action.connection)
        forgetIfEmpty(address)
        return action
    }

    /// Drops an open connection from every list; the caller decides whether to close it.
    mutating func forget(_ id: ConnectionID) {
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

    private mutating func removeAttempt(_ id: ConnectionID, at address: Address, mayMultiplex: Bool) {
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
