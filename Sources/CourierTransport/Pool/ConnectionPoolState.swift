package import CourierCore

/// The pool's rules, free of I/O, clocks and tasks so they can be tested step by step: every
/// event is a mutating method that returns what the owner (the `ConnectionPool` actor) must do.
/// Modelled on AsyncHTTPClient's `HTTPConnectionPool.StateMachine`.
///
/// A connection carries up to `capacity` exchanges at once: one for HTTP/1.1, the peer's
/// `MAX_CONCURRENT_STREAMS` for HTTP/2. A request gets, in order of preference, a busy
/// multiplexed connection with room, the most recently used idle connection, or a new
/// connection if its address is under `maxConnectionsPerAddress`; otherwise it waits, first in
/// first out per address (a retry `ahead` of the rest, see ``acquire(_:to:multiplexable:ahead:)``).
/// A multiplexable request does not start a second connection while
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
    package internal(set) var idleConnectionCount = 0
    /// The deadline the owner's timer is armed for.
    var timerDeadline: ContinuousClock.Instant?
    package internal(set) var isShutDown = false
    var nextConnectionID = 0

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
    ///
    /// `ahead`: the request was tried before and never processed (an HTTP/2 GOAWAY or
    /// REFUSED_STREAM), or already waited its turn. It waits ahead of the requests not tried
    /// yet: at the back of the queue it would open one of the last streams on the next
    /// connection, the ones a server that takes a set number of requests per connection (nginx's
    /// `keepalive_requests`) refuses, again and again.
    package mutating func acquire(
        _ request: RequestID, to address: Address, multiplexable: Bool, ahead: Bool = false
    ) -> Action {
        guard !isShutDown else { return Action(request: .fail(request, CancellationError())) }
        if let entry = addresses.index(forKey: address) {
            if let lease = leaseSpareStream(request, at: entry) ?? leaseIdle(request, at: entry)
                ?? leaseCoalesced(request, at: address)
            {
                return Action(request: .lease(lease))
            }
        } else {
            addresses[address] = AddressState()
        }
        addresses[address]!.waiters.append(Waiter(id: request, multiplexable: multiplexable, ahead: ahead))
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
        guard let index = connections.index(forKey: id) else { return Action() }
        switch phase(at: index) {
        case .connecting:
            preconditionFailure("\(id) released while still connecting")
        case .draining(let leased):
            guard leased == 1 else {
                connections.values[index].phase = .draining(leased: leased - 1)
                return Action()
            }
            return closeAndReplace(id, at: connections.values[index].address)
        case .active(var active):
            active.leased -= 1
            guard reusable || active.multiplexed else {
                return closeAndReplace(id, at: connections.values[index].address)
            }
            connections.values[index].phase = .active(active)
            var action = Action()
            serveWaiters(on: id, into: &action)
            if case .active(let after) = phase(at: index), after.leased == 0 {
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
}
