package import CourierCore

/// Connection coalescing (RFC 9113 §9.1.1, OkHttp's `RealConnection.isEligible`): an HTTP/2
/// connection to one host also carries the requests of another host that resolves to the same
/// IP address and is covered by the connection's certificate. The state only offers candidates
/// and records the sharing; the owner checks addresses and certificates, which need I/O-free but
/// TLS-aware code this struct does not have.
extension ConnectionPoolState {
    /// Active HTTP/2 connections with room that could carry the requests of `attempt`'s address
    /// instead: to another host, with the same scheme, port, TLS settings and protocols. Empty
    /// when the attempt is no longer wanted or its address may not be coalesced (cleartext, a
    /// proxy, or HTTP/2 not offered).
    package func coalescingCandidates(for attempt: ConnectionID) -> [ConnectionID] {
        guard let connection = connections[attempt], case .connecting(true) = connection.phase,
            connection.address.tls != nil
        else { return [] }
        let wanted = connection.address
        var candidates: [ConnectionID] = []
        for (address, entry) in addresses where address.sharesConnections(with: wanted) {
            candidates += entry.multiplexed.filter { id in
                guard case .active(let active) = connections[id]!.phase else { return false }
                return active.hasRoom && connections[id]!.mayShare && !connections[id]!.sharedWith.contains(wanted)
            }
        }
        return candidates
    }

    /// The address attempt or connection `id` was made for.
    package func address(of id: ConnectionID) -> Address? { connections[id]?.address }

    /// The owner found that `target` can carry the requests of `attempt`'s address: the attempt
    /// is dropped (the owner stops it), and `target` serves that address's waiters and later
    /// requests as long as it takes new exchanges.
    package mutating func coalesced(_ attempt: ConnectionID, onto target: ConnectionID) -> Action {
        guard case .connecting(let mayMultiplex) = connections[attempt]?.phase,
            case .active(let active) = connections[target]?.phase, active.multiplexed
        else { return Action() }
        let address = connections[attempt]!.address
        removeAttempt(attempt, at: address, mayMultiplex: mayMultiplex)
        connections[attempt] = nil
        connections[target]!.sharedWith.append(address)
        addresses[address]!.coalesced.append(target)
        var action = Action()
        serveWaiters(on: target, from: address, into: &action)
        createNeeded(at: address, into: &action.connection)
        return action
    }

    /// A connection shared with `address` that has room, busy ones first; an idle one leaves
    /// its own address's idle stack.
    mutating func leaseCoalesced(_ request: RequestID, at address: Address) -> Lease? {
        let shared = addresses[address]!.coalesced
        let busyFirst = shared.filter { isBusyWithRoom($0) } + shared.filter { !isBusyWithRoom($0) }
        for id in busyFirst {
            guard case .active(var active) = connections[id]!.phase, active.hasRoom else { continue }
            if active.idleSince != nil {
                removeIdle(id, at: connections[id]!.address)
                active.idleSince = nil
            }
            let lease = Lease(request: request, connection: id, reused: active.used, checkHealth: active.leased == 0)
            active.leased += 1
            active.used = true
            connections[id]!.phase = .active(active)
            return lease
        }
        return nil
    }

    private func isBusyWithRoom(_ id: ConnectionID) -> Bool {
        guard case .active(let active) = connections[id]!.phase else { return false }
        return active.leased > 0 && active.hasRoom
    }

    /// `id` carries its own address's requests only, now and later: a server refused another's.
    package mutating func stopCoalescing(_ id: ConnectionID) {
        guard connections[id] != nil else { return }
        connections[id]!.mayShare = false
        stopSharing(id)
    }

    /// `id` no longer carries other addresses' requests (it closes, drains or is detached).
    mutating func stopSharing(_ id: ConnectionID) {
        let shared = connections[id]!.sharedWith
        connections[id]!.sharedWith = []
        for address in shared {
            addresses[address]!.coalesced.removeAll { $0 == id }
            forgetIfEmpty(address)
        }
    }
}

extension Address {
    /// Whether a connection to `self` could carry `other`'s requests if the certificate and
    /// the IP address allow: both are direct, and everything but the host is the same.
    ///
    /// Never through a proxy: there the address both hosts reach is the proxy's, which says
    /// nothing about the origin servers, and a tunnel the proxy opened to one host would carry
    /// another's requests past the proxy's own rules (OkHttp coalesces direct routes only).
    func sharesConnections(with other: Address) -> Bool {
        proxy.isDirect && other.proxy.isDirect && host != other.host && scheme == other.scheme
            && port == other.port && tls == other.tls && protocols == other.protocols
    }
}
