import Glibc

/// A failed system call on a socket, before it is given HTTP meaning.
package struct SocketError: Error, Sendable, CustomStringConvertible {
    package let errno: Int32
    package let operation: String

    package init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }

    package var description: String {
        "\(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }

    package var isConnectionReset: Bool {
        errno == ECONNRESET || errno == EPIPE || errno == ECONNABORTED
    }

    /// This process ran out of descriptors, memory or threads: nothing to hold against the peer.
    package var isResourceExhaustion: Bool {
        errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM || errno == EAGAIN
    }
}
