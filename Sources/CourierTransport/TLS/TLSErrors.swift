import CCourierOpenSSL
import CourierCore

/// OpenSSL failures as `HTTPClientError`s with a kind to branch on and a curl-like message that
/// names the peer and the reason.
enum TLSErrors {
    static func handshake(ssl: OpaquePointer, peer: String) -> HTTPClientError {
        let errors = OpenSSLErrors.drain()
        let verify = SSL_get_verify_result(ssl)
        if verify != Int(X509_V_OK) {
            let reason = String(cString: X509_verify_cert_error_string(verify))
            return HTTPClientError(
                .tls(verificationFailure(Int32(verify))), "SSL certificate problem with \(peer): \(reason).")
        }
        return HTTPClientError(
            .tls(failure(errors)), "TLS handshake with \(peer) failed: \(OpenSSLErrors.describe(errors)).")
    }

    /// An error on an established connection; in TLS 1.3 a server's verdict on the client
    /// certificate arrives only here, with the first response bytes, and so does a TLS 1.2
    /// renegotiation's verdict on the server's certificate.
    static func afterHandshake(ssl: OpaquePointer) -> HTTPClientError {
        let errors = OpenSSLErrors.drain()
        if RenegotiationGuard.refused(ssl) {
            return HTTPClientError(
                .tls(.handshakeFailed), "The server presented another certificate when it renegotiated TLS.")
        }
        let verify = SSL_get_verify_result(ssl)
        if verify != Int(X509_V_OK) {
            let reason = String(cString: X509_verify_cert_error_string(verify))
            return HTTPClientError(
                .tls(verificationFailure(Int32(verify))), "SSL certificate problem in a TLS renegotiation: \(reason).")
        }
        return HTTPClientError(
            .tls(failure(errors)), "TLS failed on an established connection: \(OpenSSLErrors.describe(errors)).")
    }

    private static func verificationFailure(_ code: Int32) -> HTTPClientError.TLSFailure {
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            .certificateExpired
        case X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH:
            .hostnameMismatch
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED:
            .untrustedCertificate
        default:
            // Revoked, wrong purpose, bad signature, path too long: the chain is not to be
            // trusted either; never `.handshakeFailed`, which says the route may be to blame.
            .untrustedCertificate
        }
    }

    private static func failure(_ errors: [OpenSSLErrors.Entry]) -> HTTPClientError.TLSFailure {
        for entry in errors {
            switch entry.reason {
            // (SSL_R_WRONG_VERSION_NUMBER is not among them: it means the peer does not speak TLS at all.)
            case SSL_R_UNSUPPORTED_PROTOCOL, SSL_R_TLSV1_ALERT_PROTOCOL_VERSION, SSL_R_NO_PROTOCOLS_AVAILABLE:
                return .protocolVersion
            case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, SSL_R_SSLV3_ALERT_BAD_CERTIFICATE,
                SSL_R_TLSV1_ALERT_UNKNOWN_CA, SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN,
                SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE, SSL_R_CERTIFICATE_VERIFY_FAILED:
                return .clientCertificateRejected
            default:
                continue
            }
        }
        return .handshakeFailed
    }
}
