import CourierTransport
import Glibc

/// A loopback listener whose accept queue is full, so the kernel drops further SYNs and a
/// client's connect stays pending: a real "connecting" phase without leaving the machine.
final class FullBacklogListener: Sendable {
    let port: Int
    private let descriptors: [Int32]

    init() throws {
        let bound = try LoopbackListener(backlog: 0)
        let (listener, port) = (bound.fd, bound.port)
        var descriptors = [listener]
        // Backlog 0 admits one completed connection; the next ones fill the SYN side.
        let target = SocketAddress(numericHost: "127.0.0.1", port: port)!
        for _ in 0..<3 {
            let fd = socket(
                AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
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
