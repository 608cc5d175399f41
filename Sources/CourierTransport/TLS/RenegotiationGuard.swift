import CCourierOpenSSL

/// Holds an HTTP/1.1 connection's server to the certificate of its first handshake through any
/// TLS 1.2 renegotiation, as browsers do since the triple handshake attack: a renegotiation may
/// ask for a client certificate, never bring in another server.
///
/// The first leaf is kept in the `SSL`'s ex_data (its own reference, freed by ``release(_:)``),
/// so that OpenSSL's verify callback, a C function, can compare the new chain's leaf with it. The
/// new chain is still verified as usual (trust, dates, host name): this only adds a rule.
enum RenegotiationGuard {
    private static let leafIndex = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nil, nil, nil, nil)

    /// After the first handshake: from now on a handshake must present the same leaf.
    static func hold(_ ssl: OpaquePointer) {
        guard let leaf = SSL_get0_peer_certificate(ssl), X509_up_ref(leaf) == 1 else { return }
        SSL_set_ex_data(ssl, leafIndex, UnsafeMutableRawPointer(leaf))
        SSL_set_verify(ssl, SSL_VERIFY_PEER, verify)
    }

    /// Frees the kept leaf; before `SSL_free`.
    static func release(_ ssl: OpaquePointer) {
        guard let leaf = SSL_get_ex_data(ssl, leafIndex) else { return }
        X509_free(OpaquePointer(leaf))
    }

    /// True when the peer's last handshake failed on this rule.
    static func refused(_ ssl: OpaquePointer) -> Bool {
        SSL_get_verify_result(ssl) == X509_V_ERR_APPLICATION_VERIFICATION
    }

    private static let verify: @convention(c) (Int32, OpaquePointer?) -> Int32 = { preverified, store in
        guard preverified == 1, let store, X509_STORE_CTX_get_error_depth(store) == 0,
            let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
            let first = SSL_get_ex_data(OpaquePointer(ssl), leafIndex),
            let leaf = X509_STORE_CTX_get_current_cert(store)
        else { return preverified }
        guard X509_cmp(OpaquePointer(first), leaf) == 0 else {
            X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION)
            return 0
        }
        return 1
    }
}
