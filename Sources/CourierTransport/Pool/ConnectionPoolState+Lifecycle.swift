import CourierCore

extension ConnectionPoolState {
    /// The peer changed how many exchanges `id` takes at once (HTTP/2 SETTINGS
    /// `MAX_CONCURRENT_STREAMS`). Room it gained serves waiters; exchanges beyond a smaller
    /// capacity run to their end.
    package mutating func capacityChanged(_ id: ConnectionID, capacity: Int) -> Action {
        guard case .active(var active) = connections[id]?.phase else { return Action() }
        active.capacity = capacity
        connections[id]!.phase = .active(active)
        var action = Action()
        serveWaiters(on: id, into: &action)
        return action
    }

    /// `id` takes no new exchange (GOAWAY, or it stopped answering PINGs): it is closed once its
    /// exchanges end, now if it has none. Its waiters get a new connection within the limit.
    package mutating func draining(_ id: ConnectionID) -> Action {
        guard let connection = connections[id] else { return Action() }
        switch connection.phase {
        case .connecting, .draining:
            return Action()
        case .active(let active):
            guard active.leased > 0 else { return closeAndReplace(id, at: connection.address) }
            if let index = addresses[connection.address]!.multiplexed.firstIndex(of: id) {
                addresses[connection.address]!.multiplexed.remove(at: index)
            }
            stopSharing(id)
            connections[id]!.phase = .draining(leased: active.leased)
            var action = Action()
            for address in [connection.address] + connection.sharedWith {
                createNeeded(at: address, into: &action.connection)
            }
            return action
        }
    }

    /// `id` closed or failed on its own; the owner closes it to free what it holds. Its
    /// exchanges are gone with it, and its waiters get a new connection within the limit.
    package mutating func closed(_ id: ConnectionID) -> Action {
        guard let connection = connections[id] else { return Action() }
        switch connection.phase {
        case .connecting:
            return Action()
        case .active, .draining:
            return closeAndReplace(id, at: connection.address)
        }
    }

    /// `id` leaves the pool for good without being closed (a WebSocket took it over): it no
    /// longer counts against the per-address limit.
    package mutating func detach(_ id: ConnectionID) -> Action {
        guard let connection = connections[id] else { return Action() }
        switch connection.phase {
        case .connecting:
            return Action()
        case .active, .draining:
            var action = closeAndReplace(id, at: connection.address)
            action.connection = action.connection.removingClose(of: id)
            return action
        }
    }

    /// A waiting request gave up (its task was cancelled or timed out); it fails with
    /// `CancellationError`. Nothing happens for a request that is not waiting.
    ///
    /// Attempts in flight that the remaining waiters no longer need are cancelled, newest first.
    /// Keeping one would save a connect for a later request, but it would also keep a descriptor
    /// and a handshake going that nobody asked for, and a cancelled call would leave work
    /// behind; an unneeded attempt is not cheaper to keep unless it is almost done, which the
    /// pool cannot know.
    package mutating func cancel(_ request: RequestID) -> Action {
        guard let address = waiting.removeValue(forKey: request) else { return Action() }
        _ = addresses[address]!.waiters.remove(request)
        var action = Action(request: .fail(request, CancellationError()))
        while let newest = addresses[address]!.connecting.last, isSurplus(newest, at: address) {
            dropAttempt(newest)
            action.connection.add(.cancelConnect(newest))
        }
        forgetIfEmpty(address)
        return action
    }

    /// The remaining waiters need no more attempts than there would be without `attempt`.
    private func isSurplus(_ attempt: ConnectionID, at address: Address) -> Bool {
        guard case .connecting(let mayMultiplex) = connections[attempt]!.phase else { return false }
        var entry = addresses[address]!
        entry.connecting.removeLast()
        if mayMultiplex { entry.connectingMayMultiplex -= 1 }
        return entry.attemptsNeeded <= entry.connecting.count
    }

    /// The idle timer fired: closes every connection idle for `keepAlive` or longer, and arms the
    /// timer for the next one to expire.
    package mutating func timerFired(now: ContinuousClock.Instant) -> Action {
        timerDeadline = nil
        var expired: [ConnectionID] = []
        for address in Array(addresses.keys) {
            while let id = addresses[address]!.idle.first, case .active(let active) = connections[id]!.phase,
                let since = active.idleSince, since + keepAlive <= now
            {
                removeIdle(id, at: address)
                forget(id)
                expired.append(id)
            }
            forgetIfEmpty(address)
        }
        var action = Action(connection: .closing(expired))
        if let oldest = oldestIdle(), case .active(let active) = connections[oldest]!.phase,
            let since = active.idleSince
        {
            timerDeadline = since + keepAlive
            action.timer = .schedule(at: since + keepAlive)
        }
        return action
    }

    /// Closes every idle connection now.
    package mutating func evictAll() -> Action {
        var action = Action(connection: .closing(removeAllIdle()))
        if timerDeadline != nil {
            timerDeadline = nil
            action.timer = .cancel
        }
        return action
    }

    /// Ends the pool: idle connections close, attempts are cancelled, waiters fail with
    /// `CancellationError` (as does every later `acquire`), and busy connections drain, closing
    /// as their last exchange ends.
    package mutating func shutdown() -> Action {
        isShutDown = true
        var action = evictAll()
        var failed: [RequestID] = []
        var cancelled: [ConnectionID] = []
        for address in Array(addresses.keys) {
            failed += addresses[address]!.waiters.removeAll()
            for id in addresses[address]!.connecting {
                dropAttempt(id)
                cancelled.append(id)
            }
            addresses[address]!.multiplexed.removeAll()
            addresses[address]!.coalesced.removeAll()
            addresses[address]!.answersHTTP1 = false
            forgetIfEmpty(address)
        }
        waiting.removeAll()
        for (id, connection) in connections {
            guard case .active(let active) = connection.phase else { continue }
            connections[id]!.phase = .draining(leased: active.leased)
            connections[id]!.sharedWith = []
        }
        action.request = .failing(failed, with: CancellationError())
        for id in cancelled { action.connection.add(.cancelConnect(id)) }
        return action
    }

    private mutating func removeAllIdle() -> [ConnectionID] {
        var closed: [ConnectionID] = []
        for address in Array(addresses.keys) {
            while let id = addresses[address]!.idle.last {
                removeIdle(id, at: address)
                forget(id)
                closed.append(id)
            }
            forgetIfEmpty(address)
        }
        return closed
    }
}

extension ConnectionPoolState.ConnectionAction {
    /// Closes `ids`; nothing when there are none.
    static func closing(_ ids: [ConnectionID]) -> Self {
        switch ids.count {
        case 0: .none
        case 1: .close(ids[0])
        default: .batch(ConnectionPoolState.ConnectionBatch(close: ids))
        }
    }

    /// The same actions without closing `id`.
    func removingClose(of id: ConnectionID) -> Self {
        switch self {
        case .close(let closed) where closed == id:
            return .none
        case .batch(var batch):
            batch.close.removeAll { $0 == id }
            return .batch(batch)
        case .none, .create, .close, .cancelConnect:
            return self
        }
    }
}
