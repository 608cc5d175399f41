import CourierCore
import CourierTransport
import Testing

private typealias State = ConnectionPoolState
private let tls = TLSConfiguration()
private let a = Address(scheme: "https", host: "a.test", port: 443, tls: tls, protocols: [.http2, .http1_1])
private let b = Address(scheme: "https", host: "b.test", port: 443, tls: tls, protocols: [.http2, .http1_1])
private let t0 = ContinuousClock.now

private func r(_ id: Int) -> RequestID { RequestID(id) }

/// An HTTP/2 connection to `a` with `capacity` streams, serving request 0, plus an attempt to
/// `b` made for request 1.
private func sharedSetUp(_ state: inout State, capacity: Int = 10) -> (toA: ConnectionID, toB: ConnectionID) {
    let toA = state.acquire(r(0), to: a, multiplexable: true).created[0].connection
    #expect(state.connected(toA, capacity: capacity, multiplexed: true, now: t0).leased == [r(0)])
    let toB = state.acquire(r(1), to: b, multiplexable: true).created[0].connection
    return (toA, toB)
}

@Suite("Connection pool coalescing")
struct ConnectionPoolCoalescingTests {
    @Test("An HTTP/2 connection to another host of the same origin settings is a candidate")
    func candidates() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        #expect(state.coalescingCandidates(for: toB) == [toA])
        #expect(state.coalescingCandidates(for: toA).isEmpty)
    }

    @Test("Different ports, TLS settings, protocols or cleartext rule a connection out")
    func noCandidates() {
        var pinned = TLSConfiguration()
        pinned.pins = ["b.test": ["sha256/AAAA"]]
        let others = [
            Address(scheme: "https", host: "b.test", port: 8443, tls: tls, protocols: [.http2, .http1_1]),
            Address(scheme: "https", host: "b.test", port: 443, tls: pinned, protocols: [.http2, .http1_1]),
            Address(scheme: "https", host: "b.test", port: 443, tls: tls, protocols: [.http2]),
            Address(scheme: "http", host: "b.test", port: 443, tls: nil, protocols: [.http2]),
        ]
        for (index, other) in others.enumerated() {
            var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
            _ = sharedSetUp(&state)
            let attempt = state.acquire(r(10 + index), to: other, multiplexable: true).created[0].connection
            #expect(state.coalescingCandidates(for: attempt).isEmpty, "\(other)")
        }
    }

    /// Through a proxy, the IP address both hosts "resolve to" is the proxy's: matching it says
    /// nothing about the origin servers, and a tunnel the proxy opened to one host must not carry
    /// another's requests past the proxy's own rules (OkHttp coalesces direct routes only).
    @Test("Only direct connections coalesce, never through a proxy or between proxied and direct")
    func proxiesRuleOut() {
        let proxy = Proxy.http(host: "proxy.test", port: 3128)
        let pairs: [(connected: Address, wanted: Address)] = [
            (a.through(proxy), b.through(proxy)),
            (a, b.through(proxy)),
            (a.through(proxy), b),
            (a.through(.socks5(host: "proxy.test", port: 1080)), b.through(.socks5(host: "proxy.test", port: 1080))),
        ]
        for (connected, wanted) in pairs {
            var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
            let toA = state.acquire(r(0), to: connected, multiplexable: true).created[0].connection
            _ = state.connected(toA, capacity: 10, multiplexed: true, now: t0)
            let attempt = state.acquire(r(1), to: wanted, multiplexable: true).created[0].connection
            #expect(state.coalescingCandidates(for: attempt).isEmpty, "\(connected.proxy) → \(wanted.proxy)")
        }
    }

    @Test("A full connection is no candidate; an HTTP/1.1 attempt is never coalesced")
    func fullOrHTTP1() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (_, toB) = sharedSetUp(&state, capacity: 1)
        #expect(state.coalescingCandidates(for: toB).isEmpty)
        let http1 = Address(scheme: "https", host: "c.test", port: 443, tls: tls, protocols: [.http1_1])
        let attempt = state.acquire(r(2), to: http1, multiplexable: false).created[0].connection
        #expect(state.coalescingCandidates(for: attempt).isEmpty)
    }

    @Test("Coalescing drops the attempt, serves the address's waiters and its later requests")
    func coalesce() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        #expect(state.acquire(r(2), to: b, multiplexable: true).waits)
        let coalesced = state.coalesced(toB, onto: toA)
        #expect(coalesced.leases.map(\.connection) == [toA, toA])
        #expect(coalesced.leased == [r(1), r(2)])
        #expect(coalesced.created.isEmpty && coalesced.closed.isEmpty)
        #expect(state.connectingCount == 0 && state.openConnectionCount == 1)
        let later = state.acquire(r(3), to: b, multiplexable: true)
        #expect(later.leases == [State.Lease(request: r(3), connection: toA, reused: true, checkHealth: false)])
        #expect(state.coalescingCandidates(for: toA).isEmpty)
    }

    @Test("After a 421, a shared connection carries only its own host, and is no candidate again")
    func stopCoalescing() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        _ = state.coalesced(toB, onto: toA)
        state.stopCoalescing(toA)
        let retry = state.acquire(r(2), to: b, multiplexable: true)
        #expect(retry.leases.isEmpty && retry.created.count == 1)
        #expect(state.coalescingCandidates(for: retry.created[0].connection).isEmpty)
        #expect(state.acquire(r(3), to: a, multiplexable: true).leases.map(\.connection) == [toA])
    }

    @Test("An idle shared connection serves the other host too, after a health check")
    func idleShared() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        _ = state.coalesced(toB, onto: toA)
        _ = state.released(toA, reusable: true, now: t0)
        _ = state.released(toA, reusable: true, now: t0)
        #expect(state.idleConnectionCount == 1)
        let lease = state.acquire(r(2), to: b, multiplexable: true)
        #expect(lease.leases == [State.Lease(request: r(2), connection: toA, reused: true, checkHealth: true)])
        #expect(state.idleConnectionCount == 0)
    }

    @Test("A draining shared connection takes no more requests for either host")
    func draining() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        _ = state.coalesced(toB, onto: toA)
        #expect(state.draining(toA).created.isEmpty)
        #expect(state.acquire(r(2), to: b, multiplexable: true).createdFor == [r(2)])
        #expect(state.acquire(r(3), to: a, multiplexable: true).createdFor == [r(3)])
    }

    @Test("A full shared connection leaves the other host's waiter an attempt of its own")
    func fullShared() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state, capacity: 2)
        #expect(state.acquire(r(2), to: b, multiplexable: true).waits)
        let coalesced = state.coalesced(toB, onto: toA)
        #expect(coalesced.leased == [r(1)])
        #expect(coalesced.createdFor == [r(2)])
    }

    @Test("When a shared connection closes, neither host's requests find it again")
    func closedWhileShared() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        _ = state.coalesced(toB, onto: toA)
        #expect(state.closed(toA).closed == [toA])
        #expect(state.openConnectionCount == 0)
        #expect(state.acquire(r(2), to: b, multiplexable: true).createdFor == [r(2)])
        #expect(state.acquire(r(3), to: a, multiplexable: true).createdFor == [r(3)])
    }

    @Test("An attempt cancelled before the lookup ended is not coalesced")
    func cancelledAttempt() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let (toA, toB) = sharedSetUp(&state)
        #expect(state.cancel(r(1)).cancelled == [toB])
        #expect(state.coalescingCandidates(for: toB).isEmpty)
        #expect(state.coalesced(toB, onto: toA).isEmpty)
        #expect(state.acquire(r(2), to: b, multiplexable: true).createdFor == [r(2)])
    }
}
