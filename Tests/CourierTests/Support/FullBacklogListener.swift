import CourierTransport
import Glibc

/// A loopback listener whose accept queue is full, so the kernel drops further SYNs and a
/// client's connect stays pending: a real "connecting" phase without leaving the machine.
final class FullBacklogListener: Sendable {
    let port: Int
    private let descriptors: [Int32]

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        let address = SocketAddress(numericHost: "127.0.0.1", port: 0)!
        guard address.withSockAddr({ bind(listener, $0, $1) }) == 0, listen(listener, 0) == 0 else {
            close(listener)
            throw NginxError(message: "cannot listen for the full-backlog test")
        }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: bound.sin_port))
        var descriptors = [listener]
        // Backlog 0 admits one completed connection; the next ones fill the SYN side.
        let target = SocketAddress(numericHost: "127.0.0.1", port: port)!
        for _ in 0..<3 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = target.withSockAddr { connect(fd, $0, $1) }
            descriptors.append(fd)
        }
        self.port = port
        self.descriptors = descriptors
    }

    deinit {
        for fd in descriptors { close(fd) }
    }
}
