import CCourierOpenSSL
package import CourierCore
import Synchronization

/// An OpenSSL `SSL_CTX` for one TLS configuration and role, and the client's resumable sessions.
///
/// `@unchecked Sendable` is safe: OpenSSL allows concurrent use of an `SSL_CTX` once configured,
/// which happens entirely in the initialisers; the session store is behind a `Mutex`.
package final class TLSContext: @unchecked Sendable {
    package enum Role: Sendable {
        case client
        case server
    }

    let context: OpaquePointer
    package let role: Role
    package let pinner: CertificatePinner
    private let sessions = Mutex<[String: Session]>([:])
    /// The protocols a server context selects by ALPN, most preferred first, as octets.
    private let serverProtocols: [[UInt8]]

    /// A client context. Loads the trust store, so build it off the cooperative pool and the
    /// reactor (`TLSContextCache` does).
    package init(client configuration: TLSConfiguration, applicationProtocols: [String]) throws(HTTPClientError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TLSContext.configurationError("SSL_CTX_new failed")
        }
        self.context = context
        self.role = .client
        self.pinner = CertificatePinner(configuration.pins)
        self.serverProtocols = []
        try configureCommon(minimumVersion: configuration.minimumVersion)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let roots = configuration.trustRoots {
            try trust(roots)
        } else if SSL_CTX_load_verify_file(context, X509_get_default_cert_file()) != 1 {
            // No bundle file: fall back to the hashed directory, looked up lazily.
            _ = OpenSSLErrors.drain()
            SSL_CTX_set_default_verify_paths(context)
        }
        if let identity = configuration.clientIdentity { try use(identity) }
        try offer(applicationProtocols)
        _ = courier_SSL_CTX_set_session_cache_mode(
            context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        SSL_CTX_set_ex_data(context, 0, Unmanaged.passUnretained(self).toOpaque())
        SSL_CTX_sess_set_new_cb(context) { ssl, session in
            guard let ssl, let session, let owner = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), 0),
                let key = SSL_get_ex_data(ssl, 0)
            else { return 0 }
            let context = Unmanaged<TLSContext>.fromOpaque(owner).takeUnretainedValue()
            context.store(session, for: Unmanaged<SessionKey>.fromOpaque(key).takeUnretainedValue().key)
            return 1
        }
    }

    /// A server context (the test server), optionally requiring client certificates issued by `clientRoots`.
    ///
    /// ALPN picks the first of `applicationProtocols` (server preference) that the client offers;
    /// when it offers none of them the handshake goes on without ALPN, and the server speaks
    /// HTTP/1.1.
    package init(
        server identity: TLSIdentity,
        clientRoots: [TLSCertificate]?,
        minimumVersion: TLSVersion = .tls1_2,
        maximumVersion: TLSVersion = .tls1_3,
        applicationProtocols: [String] = ["http/1.1"]
    ) throws(HTTPClientError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSContext.configurationError("SSL_CTX_new failed")
        }
        self.context = context
        self.role = .server
        self.pinner = CertificatePinner([:])
        self.serverProtocols = applicationProtocols.map { Array($0.utf8) }
        try configureCommon(minimumVersion: minimumVersion)
        _ = courier_SSL_CTX_set_max_proto_version(context, maximumVersion == .tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION)
        try use(identity)
        if let clientRoots {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
            try trust(clientRoots)
        }
        SSL_CTX_set_alpn_select_cb(
            context,
            { _, selected, selectedLength, offered, offeredLength, owner in
                guard let offered, let owner else { return SSL_TLSEXT_ERR_NOACK }
                let context = Unmanaged<TLSContext>.fromOpaque(owner).takeUnretainedValue()
                guard let choice = context.select(from: UnsafeBufferPointer(start: offered, count: Int(offeredLength)))
                else { return SSL_TLSEXT_ERR_NOACK }
                selected?.pointee = offered + choice.lowerBound
                selectedLength?.pointee = UInt8(choice.count)
                return SSL_TLSEXT_ERR_OK
            },
            Unmanaged.passUnretained(self).toOpaque()
        )
    }

    deinit {
        SSL_CTX_free(context)
    }

    private func configureCommon(minimumVersion: TLSVersion) throws(HTTPClientError) {
        let version = minimumVersion == .tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard courier_SSL_CTX_set_min_proto_version(context, version) == 1 else {
            throw TLSContext.configurationError("cannot set the minimum TLS version")
        }
        // Peers that close without close_notify are common; HTTP framing detects truncation itself.
        _ = courier_SSL_CTX_set_options(context, courier_SSL_OP_IGNORE_UNEXPECTED_EOF())
        // No SSL_MODE_RELEASE_BUFFERS: it frees a connection's two 16 KiB record buffers whenever
        // a record is done and allocates them again for the next, two large allocations per
        // small exchange (7 % of the CPU of small TLS requests). It suits servers with many idle
        // connections; a client's pool keeps few, so each keeps its ~33 KiB.
    }

    private func trust(_ roots: [TLSCertificate]) throws(HTTPClientError) {
        let store = SSL_CTX_get_cert_store(context)
        for root in roots {
            guard let x509 = X509.parse(root) else {
                throw TLSContext.configurationError("a trust root is not a valid DER certificate")
            }
            X509_STORE_add_cert(store, x509)
            X509_free(x509)
        }
    }

    private func use(_ identity: TLSIdentity) throws(HTTPClientError) {
        guard let leaf = X509.parse(identity.certificates[0]) else {
            throw TLSContext.configurationError("the certificate is not valid DER")
        }
        defer { X509_free(leaf) }
        guard SSL_CTX_use_certificate(context, leaf) == 1 else {
            throw TLSContext.configurationError(
                "the certificate was refused: \(OpenSSLErrors.describe(OpenSSLErrors.drain()))")
        }
        for extra in identity.certificates.dropFirst() {
            guard let x509 = X509.parse(extra) else {
                throw TLSContext.configurationError("a chain certificate is not valid DER")
            }
            SSL_CTX_ctrl(context, SSL_CTRL_CHAIN_CERT, 1, UnsafeMutableRawPointer(x509))
            X509_free(x509)
        }
        let key = identity.privateKeyPEM.utf8CString.withUnsafeBufferPointer { pem -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(pem.baseAddress, Int32(pem.count - 1)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else { throw TLSContext.configurationError("the private key PEM does not parse") }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
            throw TLSContext.configurationError("the private key does not match the certificate")
        }
    }

    /// Where in `offered` (the client's ALPN list: length-prefixed names) the first of
    /// ``serverProtocols`` it contains is. Runs in the handshake; the self it is called on lives
    /// as long as the `SSL_CTX`, which is what the callback's unretained pointer relies on.
    private func select(from offered: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        for wanted in serverProtocols {
            var index = 0
            while index < offered.count {
                let length = Int(offered[index])
                let name = (index + 1)..<min(index + 1 + length, offered.count)
                if offered[name].elementsEqual(wanted) { return name }
                index += length + 1
            }
        }
        return nil
    }

    private func offer(_ protocols: [String]) throws(HTTPClientError) {
        guard !protocols.isEmpty else { return }
        let wire = protocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        guard SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) == 0 else {
            throw TLSContext.configurationError("cannot set the ALPN protocols")
        }
    }

    // MARK: Sessions

    /// A resumable session for `key` (host:port), consumed: TLS 1.3 tickets are single-use.
    func takeSession(for key: String) -> Session? {
        sessions.withLock { $0.removeValue(forKey: key) }
    }

    private func store(_ session: OpaquePointer, for key: String) {
        sessions.withLock { $0[key] = Session(session) }
    }

    private static func configurationError(_ reason: String) -> HTTPClientError {
        HTTPClientError(.tls(.invalidConfiguration), "The TLS configuration cannot be used: \(reason).")
    }
}

/// An `SSL_SESSION` reference, freed with the last owner.
final class Session: @unchecked Sendable {
    // Immutable after creation; OpenSSL reference-counts the session itself.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        SSL_SESSION_free(pointer)
    }
}

/// The session-cache key an `SSL` carries in its ex-data slot 0, for the new-session callback.
final class SessionKey {
    let key: String

    init(_ key: String) {
        self.key = key
    }
}

/// The client's TLS contexts, one per configuration and ALPN list (a context offers one list),
/// built on the blocking-work pool because loading a trust store reads files. Shared by clients
/// made with `with`.
package final class TLSContextCache: Sendable {
    private struct Key: Hashable {
        let configuration: TLSConfiguration
        let applicationProtocols: [String]
    }

    private let contexts = Mutex<[Key: TLSContext]>([:])

    package init() {}

    package func context(for configuration: TLSConfiguration, applicationProtocols: [String]) async throws -> TLSContext
    {
        let key = Key(configuration: configuration, applicationProtocols: applicationProtocols)
        if let context = contexts.withLock({ $0[key] }) { return context }
        // Loading trust roots reads files, on the blocking pool, whose two threads a slow
        // resolver may hold: a cancelled or timed-out call stops waiting, and the context, built
        // in the end, is cached for the next call.
        return try await BlockingWorkPool.shared.runAbandoningOnCancel {
            let context = try TLSContext(client: configuration, applicationProtocols: applicationProtocols)
            return self.contexts.withLock { contexts in
                if let existing = contexts[key] { return existing }
                contexts[key] = context
                return context
            }
        }
    }
}
