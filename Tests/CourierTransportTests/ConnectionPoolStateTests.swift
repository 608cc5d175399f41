import CourierCore
import CourierTransport
import Testing

private typealias State = ConnectionPoolState
private let a = Address(scheme: "https", host: "a.test", port: 443)
private let b = Address(scheme: "https", host: "b.test", port: 443)
private let t0 = ContinuousClock.now

private func r(_ id: Int) -> RequestID { RequestID(id) }

private struct Refused: Error, Equatable {}

/// Acquires for `request` where nothing is free: it waits and one connection is created for it.
private func acquireNew(
    _ state: inout State, _ request: Int, to address: Address = a, multiplexable: Bool = false
) -> ConnectionID {
    let action = state.acquire(r(request), to: address, multiplexable: multiplexable)
    #expect(action.waits)
    #expect(action.createdFor == [r(request)])
    return action.created.first?.connection ?? ConnectionID(-1)
}

/// A new HTTP/1.1 connection that served `request` and went idle at `at`.
private func idleConnection(
    _ state: inout State, _ request: Int, to address: Address = a, at: ContinuousClock.Instant
) -> ConnectionID {
    let id = acquireNew(&state, request, to: address)
    #expect(state.connected(id, capacity: 1, multiplexed: false, now: at).leased == [r(request)])
    _ = state.released(id, reusable: true, now: at)
    return id
}

@Suite("Connection pool rules")
struct ConnectionPoolStateTests {
    @Test("Idle connections are reused newest first, and their health is checked")
    func reuseLIFO() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let first = acquireNew(&state, 0)
        let second = acquireNew(&state, 1)
        _ = state.connected(first, capacity: 1, multiplexed: false, now: t0)
        _ = state.connected(second, capacity: 1, multiplexed: false, now: t0)
        _ = state.released(first, reusable: true, now: t0 + .seconds(1))
        _ = state.released(second, reusable: true, now: t0 + .seconds(2))
        #expect(state.idleConnectionCount == 2)
        let reuse = state.acquire(r(2), to: a, multiplexable: false)
        #expect(reuse.leases == [State.Lease(request: r(2), connection: second, reused: true, checkHealth: true)])
        #expect(reuse.created.isEmpty && reuse.closed.isEmpty && reuse.timer == .none)
        #expect(state.acquire(r(3), to: a, multiplexable: false).leases.map(\.connection) == [first])
        #expect(state.idleConnectionCount == 0)
        #expect(state.acquire(r(4), to: b, multiplexable: false).created.count == 1)
    }

    @Test("A fresh connection is leased without a health check and goes idle when nobody needs it")
    func freshConnection() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = acquireNew(&state, 0)
        let connected = state.connected(id, capacity: 1, multiplexed: false, now: t0)
        #expect(connected.leases == [State.Lease(request: r(0), connection: id, reused: false, checkHealth: false)])
        #expect(connected.timer == .none)
        #expect(state.openConnectionCount == 1 && state.connectingCount == 0)
        #expect(state.released(id, reusable: true, now: t0).timer == .schedule(at: t0 + .seconds(300)))
        #expect(state.idleConnectionCount(at: a) == 1)
    }

    @Test("Beyond maxIdleConnections the connection idle longest is closed, over all addresses")
    func idleCap() {
        var state = State(maxIdleConnections: 2, keepAlive: .seconds(300))
        let ids = [a, b, a].enumerated().map { acquireNew(&state, $0.offset, to: $0.element) }
        for id in ids { _ = state.connected(id, capacity: 1, multiplexed: false, now: t0) }
        #expect(state.released(ids[1], reusable: true, now: t0 + .seconds(1)).closed.isEmpty)
        #expect(state.released(ids[0], reusable: true, now: t0 + .seconds(2)).closed.isEmpty)
        let third = state.released(ids[2], reusable: true, now: t0 + .seconds(3))
        #expect(third.closed == [ids[1]])
        #expect(state.idleConnectionCount == 2)
        #expect(state.openConnectionCount(at: b) == 0 && state.openConnectionCount(at: a) == 2)
    }

    @Test("With maxIdleConnections 0 a released connection closes at once")
    func noIdle() {
        var state = State(maxIdleConnections: 0, keepAlive: .seconds(300))
        let id = acquireNew(&state, 0)
        _ = state.connected(id, capacity: 1, multiplexed: false, now: t0)
        let released = state.released(id, reusable: true, now: t0)
        #expect(released.closed == [id])
        #expect(released.timer == .none)
        #expect(state.openConnectionCount == 0)
    }

    @Test("The timer closes connections idle for keepAlive, re-arming for the next to expire")
    func keepAliveEviction() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let first = idleConnection(&state, 0, at: t0)
        #expect(state.idleConnectionCount == 1)
        let second = acquireNew(&state, 1, to: b)
        _ = state.connected(second, capacity: 1, multiplexed: false, now: t0)
        #expect(state.released(second, reusable: true, now: t0 + .seconds(10)).timer == .none)
        let early = state.timerFired(now: t0 + .seconds(299))
        #expect(early.closed.isEmpty)
        #expect(early.timer == .schedule(at: t0 + .seconds(300)))
        let fired = state.timerFired(now: t0 + .seconds(300))
        #expect(fired.closed == [first])
        #expect(fired.timer == .schedule(at: t0 + .seconds(310)))
        let last = state.timerFired(now: t0 + .seconds(311))
        #expect(last.closed == [second])
        #expect(last.timer == .none)
        #expect(state.openConnectionCount == 0)
        #expect(state.released(first, reusable: true, now: t0 + .seconds(312)).isEmpty)
    }

    @Test("Reuse does not move the timer; an early fire re-arms it for the real deadline")
    func timerNotMovedOnRequestPath() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = idleConnection(&state, 0, at: t0)
        #expect(state.acquire(r(1), to: a, multiplexable: false).timer == .none)
        #expect(state.released(id, reusable: true, now: t0 + .seconds(100)).timer == .none)
        let early = state.timerFired(now: t0 + .seconds(300))
        #expect(early.closed.isEmpty)
        #expect(early.timer == .schedule(at: t0 + .seconds(400)))
        #expect(state.evictAll().timer == .cancel)
    }

    @Test("64 multiplexable requests share one attempt, all leased when it connects as HTTP/2 with 100 streams")
    func oneAttemptForMultiplexable() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = acquireNew(&state, 0, multiplexable: true)
        for request in 1..<64 {
            let action = state.acquire(r(request), to: a, multiplexable: true)
            #expect(action.waits)
            #expect(action.created.isEmpty)
        }
        #expect(state.connectingCount == 1 && state.waitingCount == 64)
        let connected = state.connected(id, capacity: 100, multiplexed: true, now: t0)
        #expect(connected.leased == (0..<64).map(r))
        #expect(connected.leases.allSatisfy { $0.connection == id && !$0.checkHealth })
        #expect(connected.created.isEmpty && connected.timer == .none)
        let more = state.acquire(r(64), to: a, multiplexable: true)
        #expect(more.leases == [State.Lease(request: r(64), connection: id, reused: true, checkHealth: false)])
        #expect(state.openConnectionCount == 1 && state.waitingCount == 0)
    }

    @Test("An attempt that turns out HTTP/1.1 serves one waiter; the others get connections up to the cap")
    func turnsOutHTTP1() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 4)
        let id = acquireNew(&state, 0, multiplexable: true)
        for request in 1..<10 { #expect(state.acquire(r(request), to: a, multiplexable: true).created.isEmpty) }
        let connected = state.connected(id, capacity: 1, multiplexed: false, now: t0)
        #expect(connected.leased == [r(0)])
        #expect(connected.createdFor == [r(1), r(2), r(3)])
        #expect(state.connectingCount(at: a) == 3 && state.openConnectionCount(at: a) == 1)
        #expect(state.waitingCount(at: a) == 9)
    }

    @Test("Once an address answered HTTP/1.1, multiplexable requests no longer wait on attempts, until HTTP/2 shows up")
    func remembersHTTP1() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let first = acquireNew(&state, 0, multiplexable: true)
        #expect(state.connected(first, capacity: 1, multiplexed: false, now: t0).leased == [r(0)])
        let second = acquireNew(&state, 1, multiplexable: true)
        let third = acquireNew(&state, 2, multiplexable: true)
        #expect(state.connected(second, capacity: 2, multiplexed: true, now: t0).leased == [r(1), r(2)])
        // HTTP/2 answered: the attempt still in flight may multiplex, so the next request waits for it.
        let waits = state.acquire(r(3), to: a, multiplexable: true)
        #expect(waits.waits && waits.created.isEmpty)
        #expect(state.connected(third, capacity: 10, multiplexed: true, now: t0).leased == [r(3)])
    }

    @Test("A full HTTP/2 connection gets a second connection under the cap; at the cap requests wait for a stream")
    func streamsExhausted() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 2)
        let first = acquireNew(&state, 0, multiplexable: true)
        _ = state.acquire(r(1), to: a, multiplexable: true)
        #expect(state.connected(first, capacity: 2, multiplexed: true, now: t0).leased == [r(0), r(1)])
        let second = acquireNew(&state, 2, multiplexable: true)
        #expect(state.acquire(r(3), to: a, multiplexable: true).created.isEmpty)
        #expect(state.connected(second, capacity: 2, multiplexed: true, now: t0).leased == [r(2), r(3)])
        let atCap = state.acquire(r(4), to: a, multiplexable: true)
        #expect(atCap.waits && atCap.created.isEmpty)
        let released = state.released(first, reusable: true, now: t0)
        #expect(released.leases == [State.Lease(request: r(4), connection: first, reused: true, checkHealth: false)])
    }

    @Test("When a connection's capacity grows, waiters get the new streams in order")
    func capacityGrows() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let id = acquireNew(&state, 0, multiplexable: true)
        #expect(state.connected(id, capacity: 1, multiplexed: true, now: t0).leased == [r(0)])
        for request in 1...3 { #expect(state.acquire(r(request), to: a, multiplexable: true).waits) }
        #expect(state.capacityChanged(id, capacity: 1).isEmpty)
        #expect(state.capacityChanged(id, capacity: 3).leased == [r(1), r(2)])
        #expect(state.waitingCount(at: a) == 1)
        // Shrinking leaves running streams alone; a freed stream does not exceed the new capacity.
        #expect(state.capacityChanged(id, capacity: 2).isEmpty)
        #expect(state.released(id, reusable: true, now: t0).isEmpty)
        #expect(state.released(id, reusable: true, now: t0).leased == [r(3)])
    }

    @Test("A draining connection takes no new exchange and closes when its last one ends")
    func draining() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = acquireNew(&state, 0, multiplexable: true)
        _ = state.acquire(r(1), to: a, multiplexable: true)
        _ = state.connected(id, capacity: 10, multiplexed: true, now: t0)
        #expect(state.draining(id).isEmpty)
        let replacement = acquireNew(&state, 2, multiplexable: true)
        #expect(replacement != id)
        #expect(state.released(id, reusable: true, now: t0).isEmpty)
        let last = state.released(id, reusable: true, now: t0)
        #expect(last.closed == [id] && last.leases.isEmpty)
        #expect(state.openConnectionCount == 0 && state.idleConnectionCount == 0)
    }

    @Test("Draining at the cap: waiters get a new connection once the old one closes; an idle one closes at once")
    func drainingAtCap() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let id = acquireNew(&state, 0, multiplexable: true)
        _ = state.connected(id, capacity: 1, multiplexed: true, now: t0)
        #expect(state.acquire(r(1), to: a, multiplexable: true).waits)
        #expect(state.draining(id).created.isEmpty)
        let last = state.released(id, reusable: true, now: t0)
        #expect(last.closed == [id] && last.createdFor == [r(1)])
        let next = last.created[0].connection
        _ = state.connected(next, capacity: 1, multiplexed: true, now: t0)
        _ = state.released(next, reusable: true, now: t0)
        #expect(state.draining(next).closed == [next])
        #expect(state.idleConnectionCount == 0)
    }

    @Test("An HTTP/1.1 connection that is not reusable is closed; a failed HTTP/2 stream only frees its slot")
    func notReusable() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let http1 = acquireNew(&state, 0)
        _ = state.connected(http1, capacity: 1, multiplexed: false, now: t0)
        #expect(state.released(http1, reusable: false, now: t0).closed == [http1])
        let http2 = acquireNew(&state, 1, to: b, multiplexable: true)
        _ = state.connected(http2, capacity: 5, multiplexed: true, now: t0)
        let released = state.released(http2, reusable: false, now: t0)
        #expect(released.closed.isEmpty)
        #expect(state.idleConnectionCount(at: b) == 1 && state.openConnectionCount == 1)
    }

    @Test("A failed HTTP/1.1 attempt fails the oldest waiter only; the other attempts serve the rest")
    func connectFailedHTTP1() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let ids = (0..<3).map { acquireNew(&state, $0) }
        let failed = state.connectFailed(ids[2], error: Refused())
        #expect(failed.failed == [r(0)])
        #expect(failed.error as? Refused == Refused())
        #expect(failed.created.isEmpty)
        #expect(state.connected(ids[0], capacity: 1, multiplexed: false, now: t0).leased == [r(1)])
        #expect(state.connectFailed(ids[0], error: Refused()).isEmpty)
    }

    @Test("The last attempt that might multiplex fails every waiter it covered, with its error")
    func connectFailedMultiplexable() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = acquireNew(&state, 0, multiplexable: true)
        for request in 1..<64 { _ = state.acquire(r(request), to: a, multiplexable: true) }
        let failed = state.connectFailed(id, error: Refused())
        #expect(failed.failed == (0..<64).map(r))
        #expect(failed.error as? Refused == Refused())
        #expect(failed.created.isEmpty)
        #expect(state.waitingCount == 0 && state.connectingCount == 0)
    }

    @Test("At the cap a failed attempt fails its waiter and starts one for the waiters behind it")
    func connectFailedAtCap() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 2)
        let busy = acquireNew(&state, 0)
        _ = state.connected(busy, capacity: 1, multiplexed: false, now: t0)
        let attempt = acquireNew(&state, 1)
        #expect(state.acquire(r(2), to: a, multiplexable: false).created.isEmpty)
        #expect(state.acquire(r(3), to: a, multiplexable: false).created.isEmpty)
        let failed = state.connectFailed(attempt, error: Refused())
        #expect(failed.failed == [r(1)])
        #expect(failed.createdFor == [r(2)])
        #expect(state.waitingCount(at: a) == 2 && state.connectingCount(at: a) == 1)
    }

    @Test("A cancelled waiter leaves the queue; the attempt is cancelled only with its last waiter")
    func cancelWaiters() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = acquireNew(&state, 0, multiplexable: true)
        _ = state.acquire(r(1), to: a, multiplexable: true)
        let first = state.cancel(r(0))
        #expect(first.failed == [r(0)] && first.error is CancellationError)
        #expect(first.cancelled.isEmpty)
        #expect(state.cancel(r(0)).isEmpty)
        let last = state.cancel(r(1))
        #expect(last.failed == [r(1)] && last.cancelled == [id])
        #expect(state.connectingCount == 0 && state.waitingCount == 0)
        #expect(state.connected(id, capacity: 100, multiplexed: true, now: t0).closed == [id])
        #expect(state.openConnectionCount == 0)
    }

    @Test("Cancelling an HTTP/1.1 waiter cancels the newest attempt no waiter needs")
    func cancelSurplusAttempt() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let ids = (0..<3).map { acquireNew(&state, $0) }
        let cancelled = state.cancel(r(0))
        #expect(cancelled.cancelled == [ids[2]])
        #expect(state.connected(ids[0], capacity: 1, multiplexed: false, now: t0).leased == [r(1)])
        #expect(state.connectFailed(ids[2], error: Refused()).isEmpty)
    }

    @Test("A waiter served by a released connection leaves its attempt to finish and go idle")
    func releaseServesWaiterFirst() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let first = acquireNew(&state, 0)
        _ = state.connected(first, capacity: 1, multiplexed: false, now: t0)
        let second = acquireNew(&state, 1)
        let released = state.released(first, reusable: true, now: t0)
        #expect(released.leases == [State.Lease(request: r(1), connection: first, reused: true, checkHealth: true)])
        let connected = state.connected(second, capacity: 1, multiplexed: false, now: t0 + .seconds(1))
        #expect(connected.leases.isEmpty && connected.timer == .schedule(at: t0 + .seconds(301)))
        #expect(state.idleConnectionCount == 1)
    }

    @Test("A detached connection is forgotten without closing, and frees its place under the cap")
    func detach() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let id = acquireNew(&state, 0)
        _ = state.connected(id, capacity: 1, multiplexed: false, now: t0)
        #expect(state.acquire(r(1), to: a, multiplexable: false).created.isEmpty)
        let detached = state.detach(id)
        #expect(detached.closed.isEmpty && detached.createdFor == [r(1)])
        #expect(state.openConnectionCount == 0 && state.connectingCount == 1)
        #expect(state.released(id, reusable: true, now: t0).isEmpty)
    }

    @Test("A connection that closes while requests wait is replaced for them")
    func closedWithWaiters() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let id = acquireNew(&state, 0, multiplexable: true)
        _ = state.connected(id, capacity: 1, multiplexed: true, now: t0)
        _ = state.acquire(r(1), to: a, multiplexable: true)
        _ = state.acquire(r(2), to: a, multiplexable: true)
        let closed = state.closed(id)
        #expect(closed.closed == [id] && closed.createdFor == [r(1)])
        #expect(state.released(id, reusable: true, now: t0).isEmpty)
        #expect(state.closed(id).isEmpty)
    }

    @Test("An unhealthy idle connection reported closed leaves the request to a new connection")
    func unhealthyIdle() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300))
        let id = idleConnection(&state, 0, at: t0)
        #expect(state.acquire(r(1), to: a, multiplexable: false).leases.first?.checkHealth == true)
        #expect(state.closed(id).closed == [id])
        #expect(acquireNew(&state, 1) != id)
        #expect(state.openConnectionCount == 0 && state.idleConnectionCount == 0)
    }

    @Test("Per address, requests beyond the cap wait in order while other addresses proceed")
    func perAddressFIFO() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let id = acquireNew(&state, 0)
        for request in 1...3 { #expect(state.acquire(r(request), to: a, multiplexable: false).created.isEmpty) }
        #expect(acquireNew(&state, 4, to: b) != id)
        #expect(state.connected(id, capacity: 1, multiplexed: false, now: t0).leased == [r(0)])
        for request in 1...3 { #expect(state.released(id, reusable: true, now: t0).leased == [r(request)]) }
        #expect(state.released(id, reusable: true, now: t0).leases.isEmpty)
        #expect(state.idleConnectionCount(at: a) == 1)
    }

    @Test("A request tried before waits ahead of those not tried yet, behind the others tried before")
    func retriesWaitAhead() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let id = acquireNew(&state, 0, multiplexable: true)
        for request in 1...2 { #expect(state.acquire(r(request), to: a, multiplexable: true).waits) }
        for request in 3...4 { #expect(state.acquire(r(request), to: a, multiplexable: true, ahead: true).waits) }
        #expect(state.connected(id, capacity: 3, multiplexed: true, now: t0).leased == [r(3), r(4), r(0)])
        for request in [1, 2] { #expect(state.released(id, reusable: true, now: t0).leased == [r(request)]) }
    }

    @Test("Shutdown closes idle connections, cancels attempts, fails waiters and drains busy connections")
    func shutdown() {
        var state = State(maxIdleConnections: 5, keepAlive: .seconds(300), maxConnectionsPerAddress: 1)
        let idle = idleConnection(&state, 0, to: b, at: t0)
        let busy = acquireNew(&state, 1)
        _ = state.connected(busy, capacity: 1, multiplexed: false, now: t0)
        _ = state.acquire(r(2), to: a, multiplexable: false)
        let attempt = acquireNew(&state, 3, to: Address(scheme: "http", host: "c.test", port: 80))
        let down = state.shutdown()
        #expect(down.closed == [idle] && down.cancelled == [attempt])
        #expect(down.failed == [r(2), r(3)] || down.failed == [r(3), r(2)])
        #expect(down.error is CancellationError && down.timer == .cancel)
        #expect(state.acquire(r(4), to: a, multiplexable: false).failed == [r(4)])
        #expect(state.released(busy, reusable: true, now: t0).closed == [busy])
        #expect(state.connected(attempt, capacity: 1, multiplexed: false, now: t0).closed == [attempt])
        #expect(state.openConnectionCount == 0 && state.connectingCount == 0 && state.waitingCount == 0)
    }
}
