import CourierTransport
import Synchronization

/// A listening socket, the loop that accepts on it, and the task of every connection accepted:
/// what ``TestServer`` and ``TestProxy`` share.
///
/// Only the accept loop uses the listener, so only the loop closes it, when it is cancelled.
/// Closing it from another thread could let the loop call `accept` on a descriptor number that
/// another server already reuses.
final class LoopbackAcceptor: Sendable {
    private struct Connections {
        var tasks: [Int: Task<Void, Never>] = [:]
        var accepted = 0
        var peak = 0
    }

    let listener: ListeningSocket
    private let reactor: Reactor
    private let connections = Mutex(Connections())
    private let acceptTask = Mutex<Task<Void, Never>?>(nil)

    /// Listens on `host` at an ephemeral port, on a reactor of `reactors`; nothing is accepted
    /// before ``start(_:)``.
    init(host: String, reactors: ReactorGroup) async throws {
        let reactor = try reactors.nextReactor()
        self.reactor = reactor
        self.listener = try await withTaskExecutorPreference(reactor) {
            try ListeningSocket(host: host, port: 0, on: reactor)
        }
    }

    /// Accepts until ``shutdown()``; `serve` runs each connection, given its socket and its index
    /// in the order of acceptance, on the socket's reactor.
    func start(_ serve: @escaping @Sendable (Socket, Int) async -> Void) {
        let task = Task(executorPreference: reactor) { [self] in await acceptLoop(serve) }
        acceptTask.withLock { $0 = task }
    }

    /// Connections accepted so far.
    var accepted: Int { connections.withLock { $0.accepted } }

    /// Connections open right now.
    var open: Int { connections.withLock { $0.tasks.count } }

    /// The most connections that were open at the same moment.
    var peak: Int { connections.withLock { $0.peak } }

    /// Stops accepting, drops every connection and waits until they are closed.
    func shutdown() async {
        let task = acceptTask.withLock { $0 }
        task?.cancel()
        await task?.value
        await closeConnections()
    }

    /// Closes every open connection now and waits until they are closed; new ones are still accepted.
    func closeConnections() async {
        let tasks = connections.withLock { Array($0.tasks.values) }
        for task in tasks { task.cancel() }
        await connectionsClosed()
    }

    /// Waits until every connection open now has ended. Unbounded: a test bounds it.
    func connectionsClosed() async {
        let tasks = connections.withLock { Array($0.tasks.values) }
        for task in tasks { await task.value }
    }

    private func acceptLoop(_ serve: @escaping @Sendable (Socket, Int) async -> Void) async {
        defer { listener.close() }
        while true {
            let socket: Socket
            do {
                socket = try await listener.accept()
            } catch {
                return
            }
            connections.withLock { state in
                let index = state.accepted
                state.accepted += 1
                state.tasks[index] = Task(executorPreference: socket.reactor) { [self] in
                    await serve(socket, index)
                    connections.withLock { _ = $0.tasks.removeValue(forKey: index) }
                }
                state.peak = max(state.peak, state.tasks.count)
            }
        }
    }
}
