import CCourierOpenSSL
package import CourierCore
import Glibc

/// TLS over a `Socket`, with OpenSSL working on our buffers (``TLSRecordPipe``): OpenSSL never
/// touches the socket, so ciphertext moves through our own non-blocking `recv`/`sendmsg` and
/// `WANT_READ` becomes a wait on the reactor instead of a blocked thread. Handshake and record
/// crypto run on the reactor.
///
/// OpenSSL's error queue is per thread and every connection on a reactor shares its thread, so
/// the queue is cleared before each `SSL_*` I/O call; otherwise another connection's stale error
/// would make `SSL_get_error` misreport this one.
///
/// `@unchecked Sendable` for the same reason as `Socket`: one owner at a time, handed over
/// through the pool actor, which makes it safe. The owner may read in one task and write in
/// another (an HTTP/2 connection does) provided both run on the socket's reactor, whose single
/// thread serialises the OpenSSL calls; `flush` keeps their flushes from interleaving.
package final class TLSStream: ByteStream, @unchecked Sendable {
    package let socket: Socket
    /// Replaced only by a test server's renegotiation that presents another certificate.
    private var context: TLSContext
    private let ssl: OpaquePointer
    private let pipe = TLSRecordPipe()
    private var sessionKey: Unmanaged<SessionKey>?
    private var isClosed = false
    /// A `flush` is sending: see `flush`.
    private var flushing = false
    package private(set) var isTruncated = false
    /// Set by a client handshake, before the stream is shared with any other task.
    package private(set) var identity: ServerIdentity?

    package init(socket: Socket, context: TLSContext) throws(HTTPClientError) {
        guard let ssl = SSL_new(context.context) else {
            throw HTTPClientError(.tls(.invalidConfiguration), "OpenSSL could not create a TLS session.")
        }
        guard let bio = pipe.makeBIO() else {
            SSL_free(ssl)
            throw HTTPClientError(.tls(.invalidConfiguration), "OpenSSL could not create a TLS session.")
        }
        SSL_set_bio(ssl, bio, bio)
        self.socket = socket
        self.context = context
        self.ssl = ssl
    }

    deinit {
        sessionKey?.release()
        RenegotiationGuard.release(ssl)
        SSL_free(ssl)
    }

    package var reactor: Reactor { socket.reactor }

    /// The protocol ALPN selected in the handshake (`h2`, `http/1.1`), nil without ALPN.
    package var applicationProtocol: String? {
        var alpn: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &alpn, &length)
        guard let alpn, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: alpn, count: Int(length)), as: UTF8.self)
    }

    // MARK: Handshake

    /// The client handshake with `host` (SNI and certificate name), then pin checks; on the reactor.
    package func connect(host: String, port: Int, deadline: ContinuousClock.Instant?) async throws -> TLSHandshake {
        let key = SessionKey("\(host):\(port)")
        sessionKey = Unmanaged.passRetained(key)
        SSL_set_ex_data(ssl, 0, sessionKey!.toOpaque())
        SSL_set_connect_state(ssl)
        let param = SSL_get0_param(ssl)
        X509_VERIFY_PARAM_set_hostflags(param, ServerIdentity.hostFlags)
        // Without the name, OpenSSL would verify the chain and accept it for any host: a setter
        // that fails (out of memory, an address it cannot parse) must fail the connection.
        let named: Bool
        if SocketAddress(numericHost: host, port: port) != nil {
            named = X509_VERIFY_PARAM_set1_ip_asc(param, host) == 1
        } else {
            named = !host.isEmpty && X509_VERIFY_PARAM_set1_host(param, host, 0) == 1
            _ = courier_SSL_set_tlsext_host_name(ssl, host)
        }
        guard named else {
            throw HTTPClientError(.tls(.invalidConfiguration), "Could not set \(host) as the name to verify.")
        }
        // A resumed handshake verifies no chain, so there would be nothing to check pins against:
        // pinned hosts always get a full handshake.
        let pinned = !context.pinner.pins(for: host).isEmpty
        if !pinned, let session = context.takeSession(for: key.key) { SSL_set_session(ssl, session.pointer) }
        try await runHandshake(deadline: deadline, peer: host)
        let handshake = describeHandshake()
        let chainPins = verifiedChainPins()
        try context.pinner.check(host: host, chainPins: chainPins)
        if handshake.applicationProtocol == "h2" {
            // HTTP/2 over TLS 1.2 must not renegotiate (RFC 9113 §9.2.1): a server's HelloRequest
            // is answered with a no_renegotiation alert instead of a new handshake, which would
            // also leave the connection's writer in an `SSL_write` that needs to read.
            SSL_set_options(ssl, courier_SSL_OP_NO_RENEGOTIATION())
        } else {
            RenegotiationGuard.hold(ssl)
        }
        if let leaf = handshake.peerCertificates.first {
            identity = ServerIdentity(certificate: leaf, verifiedChainPins: chainPins)
        }
        return handshake
    }

    /// The server handshake (the test server); on the reactor.
    package func accept(deadline: ContinuousClock.Instant?) async throws {
        SSL_set_accept_state(ssl)
        try await runHandshake(deadline: deadline, peer: "the client")
    }

    /// Asks the client for a new handshake (a TLS 1.2 HelloRequest), as servers do to ask for a
    /// client certificate on one path; the server's side, so that tests see how clients answer.
    /// The new handshake is a full one, run under `context` when given: its certificate (as a
    /// hostile server might present), and its demand for a client certificate. False over TLS 1.3, which has no renegotiation. The answer comes
    /// in through ``read(into:deadline:)``.
    package func requestRenegotiation(
        presenting context: TLSContext? = nil, deadline: ContinuousClock.Instant?
    ) async throws -> Bool {
        ERR_clear_error()
        guard SSL_version(ssl) != TLS1_3_VERSION else { return false }
        if let context {
            SSL_set_SSL_CTX(ssl, context.context)
            SSL_set_verify(ssl, SSL_CTX_get_verify_mode(context.context), nil)
            self.context = context
        }
        SSL_set_options(ssl, courier_SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION())
        guard SSL_renegotiate(ssl) == 1 else { return false }
        // Writes the HelloRequest; the rest of the handshake runs inside later reads.
        _ = SSL_do_handshake(ssl)
        try await flush(deadline: deadline)
        return true
    }

    /// True from ``requestRenegotiation(deadline:)`` until the new handshake has completed.
    package var isRenegotiating: Bool { SSL_renegotiate_pending(ssl) == 1 }

    /// A socket failure meanwhile (the peer resetting, or closing its reading side) fails the
    /// handshake, as a close does: callers see `.tls(.handshakeFailed)`, never a bare `SocketError`.
    private func runHandshake(deadline: ContinuousClock.Instant?, peer: String) async throws {
        do {
            try await handshakeSteps(deadline: deadline, peer: peer)
        } catch let error as SocketError {
            throw HTTPClientError(.tls(.handshakeFailed), "The TLS handshake with \(peer) failed: \(error).")
        }
    }

    private func handshakeSteps(deadline: ContinuousClock.Instant?, peer: String) async throws {
        // Handshakes (and their CPU-heavy crypto) belong on the reactor, never the cooperative pool.
        assert(reactor.isCurrent, "TLS handshakes run on the connection's reactor")
        while true {
            try Self.check(deadline)
            ERR_clear_error()
            let result = SSL_do_handshake(ssl)
            let error = SSL_get_error(ssl, result)
            // Read the failure now: once this task awaits, other connections on the thread reuse the queue.
            let failure =
                result == 1 || error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE
                ? nil : TLSErrors.handshake(ssl: ssl, peer: peer)
            // Flush even on failure, so the peer gets our alert.
            try await flush(deadline: deadline)
            if result == 1 { return }
            if let failure { throw failure }
            if error == SSL_ERROR_WANT_READ, try await !fill(deadline: deadline) {
                throw HTTPClientError(.tls(.handshakeFailed), "\(peer) closed the connection during the TLS handshake.")
            }
        }
    }

    /// Throws if the task was cancelled or `deadline` passed: loops that never wait (a peer that
    /// keeps sending) would otherwise notice neither.
    private static func check(_ deadline: ContinuousClock.Instant?) throws {
        try Task.checkCancellation()
        if let deadline, ContinuousClock.now >= deadline { throw ReactorError.timedOut }
    }

    private func describeHandshake() -> TLSHandshake {
        var certificates: [TLSCertificate] = []
        if let chain = SSL_get_peer_cert_chain(ssl) {
            for index in 0..<courier_sk_X509_num(chain) {
                if let x509 = courier_sk_X509_value(chain, index) { certificates.append(X509.certificate(x509)) }
            }
        }
        return TLSHandshake(
            version: SSL_version(ssl) == TLS1_3_VERSION ? .tls1_3 : .tls1_2,
            cipherSuite: SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) }
                ?? "",
            applicationProtocol: applicationProtocol?.isEmpty == false ? applicationProtocol : nil,
            peerCertificates: certificates,
            resumed: SSL_session_reused(ssl) == 1
        )
    }

    private func verifiedChainPins() -> [String] {
        guard let chain = SSL_get0_verified_chain(ssl) else { return [] }
        return (0..<courier_sk_X509_num(chain)).compactMap { courier_sk_X509_value(chain, $0).map(X509.pin) }
    }

    // MARK: Records

    package func read(into buffer: inout ReceiveBuffer, deadline: ContinuousClock.Instant?) async throws -> Int {
        while true {
            // Records that carry no application data (session tickets, key updates, empty
            // records) make this loop go round without waiting, so it checks for itself.
            try Self.check(deadline)
            var result: Int32 = 0
            ERR_clear_error()
            // One SSL_read decrypts one record (16 KiB at most); the ciphertext already received
            // often holds several. Decrypting them all now hands a reader (an HTTP/2 connection's
            // frame loop, a body consumer) everything in one wake-up instead of one per record.
            // It never waits for more: it stops when OpenSSL has nothing buffered.
            let count = buffer.write { space in
                var total = 0
                while total < space.count {
                    result = SSL_read(ssl, space.baseAddress! + total, Int32(clamping: space.count - total))
                    guard result > 0 else { break }
                    total += Int(result)
                    guard SSL_pending(ssl) > 0 || pipe.received.readableCount > 0 else { break }
                }
                return total > 0 ? total : -1
            }
            if count > 0 {
                // A failure after some records is found again, and reported, by the next read.
                ERR_clear_error()
                return count
            }
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ:
                try await flush(deadline: deadline)
                guard try await fill(deadline: deadline) else {
                    isTruncated = true
                    return 0
                }
            case SSL_ERROR_WANT_WRITE:
                try await flush(deadline: deadline)
            case SSL_ERROR_ZERO_RETURN:
                return 0
            default:
                throw TLSErrors.afterHandshake(ssl: ssl)
            }
        }
    }

    package func write(_ first: ByteBuffer, _ second: ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
        while try !encrypt(first) { try await continueRenegotiation(deadline: deadline) }
        while try !encrypt(second) { try await continueRenegotiation(deadline: deadline) }
        try await flush(deadline: deadline)
    }

    /// Hands plaintext to OpenSSL; the records land in the pipe's `pending` for `flush`. False
    /// when OpenSSL must first read: a renegotiation the server asked for is under way.
    private func encrypt(_ bytes: ByteBuffer) throws -> Bool {
        guard !bytes.isEmpty else { return true }
        ERR_clear_error()
        let written = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
        // The pipe takes every record, so a write is whole, waits for the peer, or fails.
        if written == bytes.count { return true }
        guard written <= 0, SSL_get_error(ssl, written) == SSL_ERROR_WANT_READ else {
            throw TLSErrors.afterHandshake(ssl: ssl)
        }
        return false
    }

    /// Moves a TLS 1.2 renegotiation on by a round trip, for a write that cannot go before it ends.
    ///
    /// The server's HelloRequest arrived with the last response, or while the connection sat idle
    /// (``isHealthy`` read it), and OpenSSL answered it; our hello must go out and the server's
    /// come in. Reading here is safe because only HTTP/1.1 gets here, and an HTTP/1.1 stream is
    /// used by one task at a time: HTTP/2 connections refuse renegotiation (see `connect`).
    private func continueRenegotiation(deadline: ContinuousClock.Instant?) async throws {
        try await flush(deadline: deadline)
        guard try await fill(deadline: deadline) else {
            throw SocketError(errno: EPIPE, operation: "TLS renegotiation before a write")
        }
    }

    /// Sends the ciphertext OpenSSL produced.
    ///
    /// One flush at a time. An HTTP/2 connection reads and writes from two tasks on the
    /// reactor's thread, and `read` flushes too (a key update, a post-handshake message): two
    /// flushes would interleave records on the socket and wait as two writers on it, which the
    /// reactor forbids. A second flusher leaves its bytes in the pipe instead, and the running
    /// flush, which loops until the pipe is empty, sends them. The tasks share one thread,
    /// so the flag needs no lock. HTTP/1.1 uses a stream from one task and never gets here twice.
    private func flush(deadline: ContinuousClock.Instant?) async throws {
        guard !flushing else { return }
        flushing = true
        defer { flushing = false }
        while !pipe.pending.isEmpty {
            // Records written while this chunk goes out start a new array; when none were, the
            // chunk's storage, ours alone again once sent, takes the next records.
            var chunk: [UInt8] = []
            swap(&chunk, &pipe.pending)
            try await socket.write(ByteBuffer(chunk), ByteBuffer(), deadline: deadline)
            if pipe.pending.isEmpty {
                chunk.removeAll(keepingCapacity: true)
                pipe.pending = chunk
            }
        }
    }

    /// Feeds ciphertext from the socket to OpenSSL; false at end of stream.
    private func fill(deadline: ContinuousClock.Instant?) async throws -> Bool {
        // Out of the pipe while the read waits, so that no access to it spans the wait.
        var received = ReceiveBuffer()
        swap(&received, &pipe.received)
        defer { swap(&received, &pipe.received) }
        return try await socket.read(into: &received, deadline: deadline) > 0
    }

    // MARK: Lifetime

    /// Healthy while the peer has sent nothing but TLS housekeeping (such as TLS 1.3 session
    /// tickets, which arrive after the handshake): pending bytes are pulled through OpenSSL
    /// without waiting, and any application data, alert or end of stream means unhealthy.
    package var isHealthy: Bool {
        guard !isClosed else { return false }
        var probe: UInt8 = 0
        let peeked = recv(socket.fd, &probe, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if peeked == 0 { return false }
        if peeked < 0 {
            // Nothing arrived: the usual case, decided without touching OpenSSL.
            return (errno == EAGAIN || errno == EWOULDBLOCK) && pipe.received.readableCount == 0
                && SSL_pending(ssl) == 0
        }
        while true {
            let received = pipe.received.write { space in
                recv(socket.fd, space.baseAddress, space.count, Int32(MSG_DONTWAIT))
            }
            if received == 0 { return false }
            if received < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK else { return false }
                break
            }
        }
        var byte: UInt8 = 0
        ERR_clear_error()
        let result = SSL_read(ssl, &byte, 1)
        return result <= 0 && SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ
    }

    package var hasInputReady: Bool {
        SSL_pending(ssl) > 0 || pipe.received.readableCount > 0 || socket.hasInputReady
    }

    package func interrupt() {
        socket.interrupt()
    }

    /// Sends close_notify (best effort, without waiting) and stops sending.
    package func shutdownOutput() {
        sendCloseNotify()
        socket.shutdownOutput()
    }

    package func close() {
        guard !isClosed else { return }
        isClosed = true
        sendCloseNotify()
        socket.close()
    }

    private func sendCloseNotify() {
        guard SSL_is_init_finished(ssl) == 1 else { return }
        ERR_clear_error()
        SSL_shutdown(ssl)
        // A flush under way is still sending records written before these: sent now, they would
        // overtake them and the peer would see a broken record. That flush sends them after.
        guard !flushing else { return }
        let alert = pipe.pending
        pipe.pending.removeAll()
        if !alert.isEmpty { _ = send(socket.fd, alert, alert.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
    }
}
