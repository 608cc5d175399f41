package import CourierCore
import Glibc

/// A non-blocking TCP socket registered with one reactor.
///
/// Connecting and registering run on the reactor thread (`withTaskExecutorPreference(socket.reactor)`).
/// Reads and writes run on any thread: each tries the syscall first and waits for readiness
/// only on `EAGAIN`, on the reactor when pinned to it and otherwise parked there (see `Reactor.wait`).
///
/// A socket has one owner at a time (a connection in an exchange, or the pool while idle);
/// the hand-over between owners goes through an actor, which orders the accesses. That is what
/// makes the `@unchecked Sendable` safe.
package final class Socket: @unchecked Sendable {
    package let reactor: Reactor
    package let fd: Int32
    let token: ReactorToken
    private var isClosed = false

    private init(reactor: Reactor, fd: Int32, token: ReactorToken) {
        self.reactor = reactor
        self.fd = fd
        self.token = token
    }

    deinit {
        close()
    }

    /// Opens a connection to `address`; on the reactor thread.
    package static func connect(
        to address: SocketAddress,
        on reactor: Reactor,
        deadline: ContinuousClock.Instant?
    ) async throws -> Socket {
        let fd = Glibc.socket(
            address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(errno: errno, operation: "socket") }
        let socket = try adopt(fd, on: reactor)
        let result = address.withSockAddr { Glibc.connect(fd, $0, $1) }
        if result != 0 {
            guard errno == EINPROGRESS else { throw SocketError(errno: errno, operation: "connect") }
            try await socket.waitWritable(deadline: deadline)
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { throw SocketError(errno: error, operation: "connect") }
        }
        return socket
    }

    /// Wraps a descriptor (accepted, or about to connect) and registers it; on the reactor
    /// thread. The descriptor is closed if registration fails.
    package static func adopt(_ fd: Int32, on reactor: Reactor) throws(SocketError) -> Socket {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let token: ReactorToken
        do {
            token = try reactor.register(fd)
        } catch {
            Glibc.close(fd)
            throw error
        }
        return Socket(reactor: reactor, fd: fd, token: token)
    }

    /// Reads what is available into `buffer`, waiting for at least one byte; returns 0 at end of stream.
    ///
    /// An interrupted call (`EINTR`) is retried at once: readiness is edge-triggered, so waiting
    /// for another edge could wait forever for bytes that are already there.
    package func read(into buffer: inout ReceiveBuffer, deadline: ContinuousClock.Instant?) async throws -> Int {
        while true {
            var interrupted = false
            let count = try buffer.write { (space) throws(SocketError) -> Int in
                let n = recv(fd, space.baseAddress, space.count, 0)
                if n >= 0 { return n }
                if errno == EINTR {
                    interrupted = true
                    return -1
                }
                if errno == EAGAIN || errno == EWOULDBLOCK { return -1 }
                throw SocketError(errno: errno, operation: "recv")
            }
            if count >= 0 { return count }
            if interrupted { continue }
            try await reactor.wait(token, fd: fd, for: .read, deadline: deadline)
        }
    }

    /// Writes every byte of `first` then `second`, gathered into as few `sendmsg` calls as the kernel allows.
    package func write(
        _ first: ByteBuffer, _ second: ByteBuffer, deadline: ContinuousClock.Instant?
    ) async throws {
        var sent = 0
        let total = first.count + second.count
        while sent < total {
            let count = try send(first, second, from: sent)
            if count < 0 {
                try await reactor.wait(token, fd: fd, for: .write, deadline: deadline)
                continue
            }
            sent += count
        }
    }

    /// Sends what the kernel takes right now, without waiting; callable from any thread by the
    /// socket's owner. Returns how many bytes of `first` then `second` went out.
    package func writeWithoutWaiting(_ first: ByteBuffer, _ second: ByteBuffer) throws(SocketError) -> Int {
        max(0, try send(first, second, from: 0))
    }

    /// One gathered `sendmsg` of `first` then `second`, skipping the first `offset` bytes;
    /// -1 if the socket would block.
    private func send(_ first: ByteBuffer, _ second: ByteBuffer, from offset: Int) throws(SocketError) -> Int {
        let firstOffset = min(offset, first.count)
        let secondOffset = offset - firstOffset
        return try first.withUnsafeBytes { (a) throws(SocketError) -> Int in
            try second.withUnsafeBytes { (b) throws(SocketError) -> Int in
                var vectors = (
                    iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress?.advanced(by: firstOffset)),
                        iov_len: a.count - firstOffset),
                    iovec(
                        iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress?.advanced(by: secondOffset)),
                        iov_len: b.count - secondOffset)
                )
                return try withUnsafeMutableBytes(of: &vectors) { (raw) throws(SocketError) -> Int in
                    let base = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
                    var message = msghdr()
                    message.msg_iov = firstOffset < a.count ? base : base + 1
                    message.msg_iovlen = firstOffset < a.count ? 2 : 1
                    while true {
                        let n = sendmsg(fd, &message, Int32(MSG_NOSIGNAL))
                        if n >= 0 { return n }
                        // Interrupted: try again now; only a full buffer is worth a wait (see `read`).
                        if errno == EINTR { continue }
                        if errno == EAGAIN || errno == EWOULDBLOCK { return -1 }
                        throw SocketError(errno: errno, operation: "send")
                    }
                }
            }
        }
    }

    private func waitWritable(deadline: ContinuousClock.Instant?) async throws {
        try await reactor.wait(token, fd: fd, for: .write, deadline: deadline)
    }

    /// What a read now would find, without consuming it or waiting.
    private enum Peek {
        case bytes
        case endOfStream
        /// Nothing yet (`EAGAIN`).
        case nothing
        /// The socket failed (a reset, say).
        case failed
    }

    private func peek() -> Peek {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n > 0 { return .bytes }
        if n == 0 { return .endOfStream }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .failed
    }

    /// Whether an idle connection is still usable: no end of stream and no unexpected bytes
    /// waiting. Never blocks.
    package var isHealthy: Bool {
        !isClosed && peek() == .nothing
    }

    /// Whether the peer has ended the stream (or the socket failed), found with a peek that
    /// leaves any pending bytes to their reader. Unlike ``isHealthy``, pending bytes are fine.
    package var peerHasClosed: Bool {
        guard !isClosed else { return true }
        let found = peek()
        return found == .endOfStream || found == .failed
    }

    package var hasInputReady: Bool {
        guard !isClosed else { return false }
        let found = peek()
        return found == .bytes || found == .endOfStream
    }

    package func interrupt() {
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Shuts down the sending direction (a half-close); the peer reads end of stream.
    package func shutdownOutput() {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes the descriptor now. Callable from any thread, more than once, by the socket's
    /// owner: no other task may be using it, since its number can be reused at once.
    package func close() {
        guard !isClosed else { return }
        isClosed = true
        reactor.deregister(token, fd: fd)
        Glibc.close(fd)
    }
}
