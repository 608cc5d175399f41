package import CourierCore

/// Keeps connections for reuse, as OkHttp's `RealConnectionPool` does: per address, allocated by
/// exchange capacity; at most `maxIdleConnections` idle in all, each closed after `keepAlive`
/// without use; at most `maxConnectionsPerAddress` connecting or open to one address, the
/// requests beyond waiting first in first out (retries of unprocessed requests first).
///
/// The rules live in `ConnectionPoolState`; this actor performs what they decide: it runs
/// connects, resumes waiters, closes connections and keeps one eviction timer. Connects run in
/// tasks of the pool's own, so a connection that a cancelled caller started can still serve the
/// next waiter; the pool cancels it when no waiter needs it any more. Between a connect's DNS
/// lookup and its first socket, the pool checks whether one of its HTTP/2 connections to
/// another host may carry the requests instead (connection coalescing, as OkHttp does it).
package actor ConnectionPool {
    /// A request waiting for a lease, with how to open a connection on its behalf.
    private struct Waiter {
        let continuation: CheckedContinuation<Outcome, Never>
        let address: Address
        let multiplexable: Bool
        let opener: any ConnectionOpener
    }

    /// How a wait ends. A cancelled waiter first waits for the attempts its leaving cancelled,
    /// so a cancelled call returns with nothing of its own left open.
    private enum Outcome {
        case leased(any PooledConnection, reused: Bool)
        case failed(any Error)
        case cancelled(windingDown: [Task<Void, Never>])
    }

    private var state: ConnectionPoolState
    private var open: [ConnectionID: any PooledConnection] = [:]
    private var ids: [ObjectIdentifier: ConnectionID] = [:]
    private var waiters: [RequestID: Waiter] = [:]
    private var connects: [ConnectionID: Task<Void, Never>] = [:]
    private var nextRequestID = 0
    private var timer: Task<Void, Never>?
    /// Tells a timer that fired from one that was replaced while it woke up.
    private var timerGeneration = 0

    package init(
        maxIdleConnections: Int = 5, keepAlive: Duration = .seconds(300), maxConnectionsPerAddress: Int? = nil
    ) {
        state = ConnectionPoolState(
            maxIdleConnections: maxIdleConnections, keepAlive: keepAlive,
            maxConnectionsPerAddress: maxConnectionsPerAddress)
    }

    /// Connections open: idle plus carrying exchanges, not counting those still connecting.
    package var openConnectionCount: Int { state.openConnectionCount }
    package var idleConnectionCount: Int { state.idleConnectionCount }
    /// Callers waiting for a connection.
    package var waitingCount: Int { state.waitingCount }

    /// A connection to `address` with room for one more exchange, now counting it: a pooled one,
    /// an HTTP/2 one to another host that may carry this one's requests, or one that `opener`
    /// opens. The opener runs in a task of the pool's (not the caller's), so a connection a
    /// cancelled caller started can still serve the next waiter; it is cancelled when no waiter
    /// needs it. The caller's cancellation wins at once (CancellationError). `reused` is true
    /// when the connection carried an exchange before this one. `ahead`: a retry of a request
    /// the server never processed, which waits ahead of new ones
    /// (see ``ConnectionPoolState/acquire(_:to:multiplexable:ahead:)``).
    package func acquire(
        _ address: Address, multiplexable: Bool, ahead: Bool = false, opener: some ConnectionOpener
    ) async throws -> (connection: any PooledConnection, reused: Bool) {
        try Task.checkCancellation()
        let request = RequestID(nextRequestID)
        nextRequestID += 1
        while true {
            let action = state.acquire(request, to: address, multiplexable: multiplexable, ahead: ahead)
            switch action.request {
            case .lease(let lease):
                perform(action.connection)
                perform(action.timer)
                if let connection = healthy(lease) { return (connection, lease.reused) }
            case .wait:
                return try await wait(request, action: action, address, multiplexable: multiplexable, opener: opener)
            case .fail(_, let error):
                throw error
            case .none, .leaseAll, .failAll:
                preconditionFailure("acquire answered \(action.request)")
            }
        }
    }

    /// `acquire` with a connect that needs no lookup first (so never coalesced).
    package func acquire(
        _ address: Address, multiplexable: Bool,
        connect: @escaping @Sendable () async throws -> any PooledConnection
    ) async throws -> (connection: any PooledConnection, reused: Bool) {
        try await acquire(address, multiplexable: multiplexable, opener: DirectOpener(connect))
    }

    /// Ends one exchange on `connection`; one the pool does not know is closed.
    package func release(_ connection: any PooledConnection, reusable: Bool) {
        guard let id = ids[ObjectIdentifier(connection)] else {
            connection.close()
            return
        }
        // A stream refused because its connection stopped taking streams (GOAWAY) comes back
        // here before the connection's own report of it, which is a task of its own. Freed
        // as a slot of a live connection, it would go to the next caller, refused at once in
        // turn, and so on until that report arrived: asking now costs a lock, on failures only.
        if !reusable && connection.isMultiplexed && !connection.takesNewExchanges { perform(state.draining(id)) }
        perform(state.released(id, reusable: reusable, now: .now))
    }

    /// `connection` leaves the pool without being closed (a WebSocket takes it over).
    /// `connection` carries only its own host's requests from now on: a server answered 421
    /// (Misdirected Request) for another host it was carrying.
    package func stopCoalescing(_ connection: any PooledConnection) {
        guard let id = ids[ObjectIdentifier(connection)] else { return }
        state.stopCoalescing(id)
    }

    package func detach(_ connection: any PooledConnection) {
        guard let id = ids[ObjectIdentifier(connection)] else { return }
        let action = state.detach(id)
        open[id] = nil
        ids[ObjectIdentifier(connection)] = nil
        perform(action)
    }

    /// The connection's `exchangeCapacity` changed (HTTP/2 SETTINGS).
    package func capacityChanged(_ connection: any PooledConnection) {
        guard let id = ids[ObjectIdentifier(connection)] else { return }
        perform(state.capacityChanged(id, capacity: connection.exchangeCapacity))
    }

    /// No new exchanges on it (GOAWAY, or degraded); closed once its exchanges end.
    package func draining(_ connection: any PooledConnection) {
        guard let id = ids[ObjectIdentifier(connection)] else { return }
        perform(state.draining(id))
    }

    /// It closed or failed on its own.
    package func closed(_ connection: any PooledConnection) {
        guard let id = ids[ObjectIdentifier(connection)] else { return }
        perform(state.closed(id))
    }

    /// Closes every idle connection now.
    package func evictAll() {
        perform(state.evictAll())
    }

    /// Closes idle connections, cancels connects, fails waiters and later acquires with
    /// `CancellationError`, and closes busy connections as their exchanges end.
    package func shutdown() {
        perform(state.shutdown())
    }

    // MARK: - Waiting

    private func wait(
        _ request: RequestID, action: ConnectionPoolState.Action,
        _ address: Address, multiplexable: Bool, opener: any ConnectionOpener
    ) async throws -> (connection: any PooledConnection, reused: Bool) {
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // Registered before the actions run: a connect made on this request's behalf uses its `connect`.
                waiters[request] = Waiter(
                    continuation: continuation, address: address, multiplexable: multiplexable, opener: opener)
                perform(action)
            }
        } onCancel: {
            Task { await self.cancel(request) }
        }
        switch outcome {
        case .leased(let connection, let reused):
            return (connection, reused)
        case .failed(let error):
            // A connect failure can reach the actor just ahead of the caller's cancellation:
            // the caller asked to stop first, so that is what it hears (and `callTimeout` turns
            // into its timeout).
            if Task.isCancelled { throw CancellationError() }
            throw error
        case .cancelled(let windingDown):
            for task in windingDown { await task.value }
            throw CancellationError()
        }
    }

    private func cancel(_ request: RequestID) {
        let action = state.cancel(request)
        guard case .fail = action.request, let waiter = waiters.removeValue(forKey: request) else { return }
        var windingDown: [Task<Void, Never>] = []
        if case .cancelConnect(let id) = action.connection, let task = connects[id] {
            windingDown.append(task)
        } else if case .batch(let batch) = action.connection {
            windingDown = batch.cancelConnect.compactMap { connects[$0] }
        }
        perform(action.connection)
        perform(action.timer)
        waiter.continuation.resume(returning: .cancelled(windingDown: windingDown))
    }

    /// The leased connection, or nil after closing it if it sat unused and is no longer healthy.
    private func healthy(_ lease: ConnectionPoolState.Lease) -> (any PooledConnection)? {
        // Gone already: an earlier lease of the same hand-out found it unhealthy and closed it.
        guard let connection = open[lease.connection] else { return nil }
        guard lease.checkHealth && !connection.isHealthy else { return connection }
        perform(state.closed(lease.connection))
        return nil
    }

    /// Hands a lease to its waiter; an unhealthy connection is closed and the waiter acquires again.
    private func deliver(_ lease: ConnectionPoolState.Lease) {
        guard let waiter = waiters[lease.request] else {
            preconditionFailure("\(lease.request) leased without waiting")
        }
        guard let connection = healthy(lease) else {
            // It waited its turn already.
            let action = state.acquire(
                lease.request, to: waiter.address, multiplexable: waiter.multiplexable, ahead: true)
            perform(action)
            return
        }
        waiters[lease.request] = nil
        waiter.continuation.resume(returning: .leased(connection, reused: lease.reused))
    }

    // MARK: - Performing actions

    /// Connection actions first: a connect made on a waiter's behalf needs it still registered.
    private func perform(_ action: ConnectionPoolState.Action) {
        perform(action.connection)
        perform(action.timer)
        switch action.request {
        case .none, .wait:
            break
        case .lease(let lease):
            deliver(lease)
        case .leaseAll(let leases):
            for lease in leases { deliver(lease) }
        case .fail(let request, let error):
            fail(request, error)
        case .failAll(let requests, let error):
            for request in requests { fail(request, error) }
        }
    }

    private func fail(_ request: RequestID, _ error: any Error) {
        waiters.removeValue(forKey: request)?.continuation.resume(returning: .failed(error))
    }

    private func perform(_ action: ConnectionPoolState.ConnectionAction) {
        switch action {
        case .none:
            break
        case .create(let creation):
            startConnect(creation)
        case .close(let id):
            close(id)
        case .cancelConnect(let id):
            connects.removeValue(forKey: id)?.cancel()
        case .batch(let batch):
            for creation in batch.create { startConnect(creation) }
            for id in batch.close { close(id) }
            for id in batch.cancelConnect { connects.removeValue(forKey: id)?.cancel() }
        }
    }

    private func close(_ id: ConnectionID) {
        guard let connection = open.removeValue(forKey: id) else { return }
        ids[ObjectIdentifier(connection)] = nil
        connection.close()
    }

    private func startConnect(_ creation: ConnectionPoolState.Creation) {
        let id = creation.connection
        guard let opener = waiters[creation.request]?.opener else {
            preconditionFailure("\(id) created for \(creation.request), which is not waiting")
        }
        connects[id] = Task {
            let result: Result<any PooledConnection, any Error>
            do {
                let addresses = try await opener.resolve()
                if self.coalesce(id, addresses: addresses) { return }
                result = .success(try await opener.connect(to: addresses))
            } catch {
                result = .failure(error)
            }
            self.connectFinished(id, result)
        }
    }

    /// Ends attempt `id` and returns true if one of the pool's HTTP/2 connections can carry
    /// its address's requests: it reached one of `addresses`, and its certificate, verified
    /// under the same TLS settings, covers the attempt's host, pins included.
    private func coalesce(_ id: ConnectionID, addresses: [ResolvedAddress]) -> Bool {
        guard !addresses.isEmpty, let address = state.address(of: id) else { return false }
        let pinner = CertificatePinner(address.tls?.pins ?? [:])
        for candidate in state.coalescingCandidates(for: id) {
            guard let connection = open[candidate], let identity = connection.serverIdentity,
                addresses.contains(where: { $0.ip == connection.info.route.socketAddress.ip }),
                connection.isHealthy, identity.covers(host: address.host, pinner: pinner)
            else { continue }
            connects[id] = nil
            perform(state.coalesced(id, onto: candidate))
            return true
        }
        return false
    }

    private func connectFinished(_ id: ConnectionID, _ result: Result<any PooledConnection, any Error>) {
        connects[id] = nil
        switch result {
        case .success(let connection):
            open[id] = connection
            ids[ObjectIdentifier(connection)] = id
            perform(
                state.connected(
                    id, capacity: connection.exchangeCapacity, multiplexed: connection.isMultiplexed, now: .now))
            // An HTTP/2 connection that went away while connecting (a GOAWAY right after the
            // server's SETTINGS) sent its events before the pool knew it: they were dropped.
            // Only multiplexed ones are asked: their check is a lock and a peek, while an
            // HTTP/1.1 one over TLS would touch OpenSSL under the exchange just handed it.
            if connection.isMultiplexed && !connection.isHealthy { perform(state.draining(id)) }
        case .failure(let error):
            perform(state.connectFailed(id, error: error))
        }
    }

    // MARK: - Timer

    private func perform(_ action: ConnectionPoolState.TimerAction) {
        switch action {
        case .none:
            break
        case .schedule(let deadline):
            timer?.cancel()
            timerGeneration += 1
            let generation = timerGeneration
            timer = Task { [weak self] in
                guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                await self?.timerFired(generation)
            }
        case .cancel:
            timer?.cancel()
            timer = nil
            timerGeneration += 1
        }
    }

    private func timerFired(_ generation: Int) {
        guard generation == timerGeneration else { return }
        timer = nil
        perform(state.timerFired(now: .now))
    }
}
