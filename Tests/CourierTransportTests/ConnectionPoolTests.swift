import CourierCore
import CourierTransport
import Synchronization
import Testing

private let address = Address(scheme: "http", host: "pool.test", port: 80)

private struct Refused: Error {}

/// A connection without a socket: the test decides its capacity and health, and sees it closed.
private final class FakeConnection: PooledConnection {
    let info: ConnectionInfo
    let exchangeCapacity: Int
    let isMultiplexed: Bool
    private let flags = Mutex((broken: false, closed: false))

    init(_ id: Int, capacity: Int = 1) {
        let route = Route(address: address, socketAddress: ResolvedAddress(ip: "127.0.0.1", port: 80))
        info = ConnectionInfo(id: id, route: route, version: capacity > 1 ? .http2 : .http1_1)
        exchangeCapacity = capacity
        isMultiplexed = capacity > 1
    }

    var isHealthy: Bool { flags.withLock { !$0.broken && !$0.closed } }
    var takesNewExchanges: Bool { isHealthy }
    var isClosed: Bool { flags.withLock { $0.closed } }

    func breakConnection() {
        flags.withLock { $0.broken = true }
    }

    func close() {
        flags.withLock { $0.closed = true }
    }

    /// The pool counts exchanges; making codecs is the connect stage's business.
    func makeCodec() -> any ExchangeCodec {
        preconditionFailure("the pool never makes codecs")
    }
}

/// A connect that finishes when the test hands it a result.
private final class ConnectGate: Sendable {
    private let results: AsyncStream<Result<FakeConnection, Refused>>
    private let feed: AsyncStream<Result<FakeConnection, Refused>>.Continuation
    private let ignoresCancellation: Bool
    private let counts = Mutex((started: 0, cancelled: 0))

    init(ignoresCancellation: Bool = false) {
        (results, feed) = AsyncStream.makeStream()
        self.ignoresCancellation = ignoresCancellation
    }

    var started: Int { counts.withLock { $0.started } }
    var cancelled: Int { counts.withLock { $0.cancelled } }

    func finish(_ result: Result<FakeConnection, Refused>) {
        feed.yield(result)
    }

    func connect() async throws -> any PooledConnection {
        counts.withLock { $0.started += 1 }
        let results = self.results
        let next: @Sendable () async -> Result<FakeConnection, Refused>? = {
            for await result in results { return result }
            return nil
        }
        let result = ignoresCancellation ? await Task { await next() }.value : await next()
        guard let result else {
            // Winding down takes a while, as closing a half-open socket does; the caller waits for it.
            await Task { try? await Task.sleep(for: .milliseconds(50)) }.value
            counts.withLock { $0.cancelled += 1 }
            throw CancellationError()
        }
        return try result.get()
    }
}

/// The order in which callers got their connections.
private final class ServedOrder: Sendable {
    private let order = Mutex<[String]>([])
    var names: [String] { order.withLock { $0 } }
    func note(_ name: String) { order.withLock { $0.append(name) } }
}

/// Waits for `condition`, until the suite's time limit cancels the test: the expectation that
/// follows then fails instead of the test spinning on.
private func eventually(_ condition: () async -> Bool) async {
    while await !condition() && !Task.isCancelled { await Task.yield() }
}

@Suite("Connection pool actor", .timeLimit(.minutes(1)))
struct ConnectionPoolTests {
    @Test("An idle connection is reused; an unhealthy one is closed and replaced")
    func reuseAndHealth() async throws {
        let pool = ConnectionPool()
        let first = FakeConnection(1)
        let (connection, reused) = try await pool.acquire(address, multiplexable: false) { first }
        #expect(connection === first && !reused)
        await pool.release(connection, reusable: true)
        let again = try await pool.acquire(address, multiplexable: false) {
            Issue.record("connected although an idle connection was there")
            throw Refused()
        }
        #expect(again.connection === first && again.reused)
        await pool.release(first, reusable: true)
        first.breakConnection()
        let second = FakeConnection(2)
        let replaced = try await pool.acquire(address, multiplexable: false) { second }
        #expect(replaced.connection === second && !replaced.reused)
        #expect(first.isClosed)
        #expect(await pool.openConnectionCount == 1)
    }

    /// Its GOAWAY arrived before the pool knew the connection, so no event said so.
    @Test("An HTTP/2 connection gone while connecting serves no later call")
    func goneWhileConnecting() async throws {
        let pool = ConnectionPool()
        let doomed = FakeConnection(1, capacity: 100)
        doomed.breakConnection()
        let first = try await pool.acquire(address, multiplexable: true) { doomed }
        #expect(first.connection === doomed)
        let fresh = FakeConnection(2, capacity: 100)
        let second = try await pool.acquire(address, multiplexable: true) { fresh }
        #expect(second.connection === fresh)
        await pool.release(doomed, reusable: true)
        #expect(doomed.isClosed)
    }

    /// Its GOAWAY refused a stream, and the connection's report of the GOAWAY is still on its way.
    @Test("A stream refused by an HTTP/2 connection that stopped taking streams frees no slot on it")
    func refusedStreamDrains() async throws {
        let pool = ConnectionPool()
        let draining = FakeConnection(1, capacity: 100)
        let first = try await pool.acquire(address, multiplexable: true) { draining }
        let second = try await pool.acquire(address, multiplexable: true) {
            Issue.record("connected although the connection had room")
            throw Refused()
        }
        #expect(first.connection === draining && second.connection === draining)
        draining.breakConnection()
        await pool.release(draining, reusable: false)
        let fresh = FakeConnection(2, capacity: 100)
        let third = try await pool.acquire(address, multiplexable: true) { fresh }
        #expect(third.connection === fresh)
        #expect(!draining.isClosed, "the stream still open on it goes on")
        await pool.release(draining, reusable: true)
        #expect(draining.isClosed)
    }

    @Test("A connect failure reaches the caller")
    func connectFailure() async {
        let pool = ConnectionPool()
        await #expect(throws: Refused.self) {
            try await pool.acquire(address, multiplexable: false) { throw Refused() }
        }
        #expect(await pool.openConnectionCount == 0)
    }

    @Test("One connect serves every multiplexable waiter when it turns out HTTP/2")
    func sharedConnect() async throws {
        let pool = ConnectionPool()
        let gate = ConnectGate()
        let callers = (0..<3).map { _ in
            Task { try await pool.acquire(address, multiplexable: true, connect: gate.connect).connection }
        }
        await eventually { await pool.waitingCount == 3 }
        await eventually { gate.started > 0 }
        #expect(gate.started == 1)
        let shared = FakeConnection(1, capacity: 100)
        gate.finish(.success(shared))
        for caller in callers { #expect(try await caller.value === shared) }
        #expect(await pool.openConnectionCount == 1)
    }

    @Test("A cancelled caller throws at once; the connect it started serves the next waiter")
    func cancelledCallerLeavesConnect() async throws {
        let pool = ConnectionPool()
        let gate = ConnectGate()
        let first = Task { try await pool.acquire(address, multiplexable: true, connect: gate.connect) }
        await eventually { gate.started == 1 }
        let second = Task {
            try await pool.acquire(address, multiplexable: true) {
                Issue.record("a second connect while the first could serve")
                throw Refused()
            }
        }
        await eventually { await pool.waitingCount == 2 }
        first.cancel()
        await #expect(throws: CancellationError.self) { try await first.value }
        #expect(gate.cancelled == 0)
        let connection = FakeConnection(1, capacity: 10)
        gate.finish(.success(connection))
        #expect(try await second.value.connection === connection)
    }

    @Test("Cancelling the last waiter cancels its connect, which has wound down when the caller returns")
    func cancelledLastWaiter() async throws {
        let pool = ConnectionPool()
        let gate = ConnectGate()
        let caller = Task { try await pool.acquire(address, multiplexable: false, connect: gate.connect) }
        await eventually { gate.started == 1 }
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(gate.cancelled == 1)
        #expect(await pool.waitingCount == 0)
    }

    /// The connection it was handed sat idle and broke meanwhile; the waiter waited its turn already.
    @Test("A waiter handed a broken connection keeps its place ahead of those who came after it")
    func brokenHandOutKeepsPlace() async throws {
        let pool = ConnectionPool(maxConnectionsPerAddress: 1)
        let first = FakeConnection(1)
        _ = try await pool.acquire(address, multiplexable: false) { first }
        let opened = Mutex(1)
        let served = ServedOrder()
        let connect: @Sendable () async throws -> any PooledConnection = {
            FakeConnection(
                opened.withLock { count in
                    count += 1
                    return count
                })
        }
        let second = Task {
            let connection = try await pool.acquire(address, multiplexable: false, connect: connect).connection
            served.note("second")
            return connection
        }
        await eventually { await pool.waitingCount == 1 }
        let third = Task {
            let connection = try await pool.acquire(address, multiplexable: false, connect: connect).connection
            served.note("third")
            return connection
        }
        await eventually { await pool.waitingCount == 2 }
        first.breakConnection()
        await pool.release(first, reusable: true)
        #expect(first.isClosed)
        await eventually { !served.names.isEmpty }
        #expect(served.names == ["second"], "the later waiter waits for the one connection allowed")
        // Whoever was served hands the connection on, so that both callers end either way.
        let (served1st, served2nd) = served.names.first == "third" ? (third, second) : (second, third)
        let replacement = try await served1st.value
        #expect(replacement.info.id == 2)
        await pool.release(replacement, reusable: true)
        #expect(try await served2nd.value === replacement)
    }

    @Test("Shutdown fails waiters and later acquires, and closes a connection that connects after it")
    func shutdown() async throws {
        let pool = ConnectionPool()
        let gate = ConnectGate(ignoresCancellation: true)
        let caller = Task { try await pool.acquire(address, multiplexable: false, connect: gate.connect) }
        await eventually { gate.started == 1 }
        await pool.shutdown()
        await #expect(throws: CancellationError.self) { try await caller.value }
        let late = FakeConnection(1)
        gate.finish(.success(late))
        await eventually { late.isClosed }
        #expect(await pool.openConnectionCount == 0)
        await #expect(throws: CancellationError.self) {
            try await pool.acquire(address, multiplexable: false) { FakeConnection(2) }
        }
    }
}
