import CourierCore
import CourierTransport
import Glibc
import Synchronization

/// A loopback server that reads what a client sends first (a TLS ClientHello) and then resets
/// the connection, every connection, until ``shutdown()``.
final class HandshakeResettingServer: Sendable {
    let port: Int
    private let task = Mutex<Task<Void, Never>?>(nil)

    init() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let listener = try await withTaskExecutorPreference(reactor) {
            try ListeningSocket(host: "127.0.0.1", port: 0, on: reactor)
        }
        port = listener.address.port
        let work = Task(executorPreference: reactor) {
            // Only the accepting task closes the listener (see `ListeningSocket.close()`).
            defer { listener.close() }
            while let socket = try? await listener.accept() {
                var hello = ReceiveBuffer()
                _ = try? await socket.read(into: &hello, deadline: .now + .seconds(5))
                // Connecting a TCP socket to AF_UNSPEC makes Linux reset it (an RST, not a FIN).
                var unspecified = sockaddr()
                unspecified.sa_family = sa_family_t(AF_UNSPEC)
                _ = connect(socket.fd, &unspecified, socklen_t(MemoryLayout<sockaddr>.size))
                socket.close()
            }
        }
        task.withLock { $0 = work }
    }

    func shutdown() async {
        guard let work = task.withLock({ $0.take() }) else { return }
        work.cancel()
        await work.value
    }
}
