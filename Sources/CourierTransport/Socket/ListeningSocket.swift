import CCourierSystem
import Glibc

/// A non-blocking TCP listener registered with a reactor; `accept` runs on the reactor thread.
package final class ListeningSocket: @unchecked Sendable {
    package let reactor: Reactor
    package let address: SocketAddress
    private let fd: Int32
    private let token: ReactorToken
    private var isClosed = false

    /// Binds and listens; on the reactor thread. Port 0 picks an ephemeral port.
    package init(host: String, port: Int, backlog: Int32 = 1024, on reactor: Reactor) throws(SocketError) {
        guard let requested = SocketAddress(numericHost: host, port: port) else {
            throw SocketError(errno: EINVAL, operation: "bind to \(host)")
        }
        let fd = Glibc.socket(
            requested.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(errno: errno, operation: "socket") }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard requested.withSockAddr({ bind(fd, $0, $1) }) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(errno: code, operation: "bind")
        }
        guard listen(fd, backlog) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw SocketError(errno: code, operation: "listen")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        self.address = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(copying: $0, length: length) }
        }
        do {
            self.token = try reactor.register(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.fd = fd
        self.reactor = reactor
    }

    deinit {
        close()
    }

    /// Waits for the next connection and registers it with this listener's reactor.
    package func accept() async throws -> Socket {
        while true {
            let client = accept4(fd, nil, nil, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
            if client >= 0 { return try Socket.adopt(client, on: reactor) }
            switch errno {
            case EINTR, ECONNABORTED:
                // Interrupted, or a connection that died in the backlog: others may be queued
                // behind it, and an edge-triggered wait would not report them again.
                continue
            case EAGAIN, EWOULDBLOCK:
                try await reactor.wait(token, fd: fd, for: .read, deadline: nil)
            default:
                throw SocketError(errno: errno, operation: "accept")
            }
        }
    }

    /// Stops listening. Call it from the task that accepts (cancel that task to stop it): a
    /// descriptor closed under a concurrent `accept` may already be reused by the time it runs.
    package func close() {
        guard !isClosed else { return }
        isClosed = true
        reactor.deregister(token, fd: fd)
        Glibc.close(fd)
    }
}
