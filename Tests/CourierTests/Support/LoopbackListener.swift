import CourierTransport
import Glibc

/// A blocking TCP socket bound to 127.0.0.1 at an ephemeral port, for fixtures that need a port
/// the test controls at the socket level (a free port for nginx, a listener that never accepts).
struct LoopbackListener {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let fd: Int32
    let port: Int

    /// Binds, and listens with `backlog` unless it is nil.
    init(backlog: Int32?) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        let address = SocketAddress(numericHost: "127.0.0.1", port: 0)!
        guard address.withSockAddr({ bind(fd, $0, $1) }) == 0, backlog.map({ listen(fd, $0) == 0 }) ?? true else {
            close(fd)
            throw Failure(description: "cannot bind a loopback socket: errno \(errno)")
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: bound.sin_port))
    }
}
