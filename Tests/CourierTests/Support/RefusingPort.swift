import FoundationEssentials
import Glibc
import Synchronization

/// A loopback port that refuses connections until ``close()``: bound and never listening, so
/// the kernel answers every connect with a reset (`ECONNREFUSED`).
///
/// Starting a server and shutting it down does not make such a port: its port is free again,
/// and a test running in parallel may bind it before the connect meant to be refused, which
/// then reaches that test's server instead (seen as a TLS handshake reset where a refusal was
/// expected).
final class RefusingPort: Sendable {
    let port: Int
    private let fd: Int32
    private let isOpen = Atomic<Bool>(true)

    init() throws {
        let bound = try LoopbackListener(backlog: nil)
        fd = bound.fd
        port = bound.port
    }

    /// `scheme://127.0.0.1:port/`.
    func url(scheme: String) -> URL {
        URL(string: "\(scheme)://127.0.0.1:\(port)/")!
    }

    /// Frees the port; the test calls it when done, which also keeps the port held until then.
    func close() {
        if isOpen.exchange(false, ordering: .relaxed) { _ = Glibc.close(fd) }
    }

    deinit {
        close()
    }
}
