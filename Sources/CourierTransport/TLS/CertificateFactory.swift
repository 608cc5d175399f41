import CCourierOpenSSL
package import CourierCore
package import FoundationEssentials

/// Makes P-256 keys and X.509 certificates with OpenSSL: throwaway CAs and leaves for tests.
package enum CertificateFactory {
    package struct Made: Sendable {
        package let certificate: TLSCertificate
        package let privateKeyPEM: String

        package init(certificate: TLSCertificate, privateKeyPEM: String) {
            self.certificate = certificate
            self.privateKeyPEM = privateKeyPEM
        }
    }

    /// A certificate for `commonName` valid from `notBefore` to `notAfter`, with `hosts` as
    /// subjectAltNames (DNS names or IP addresses), signed by `issuer` (self-signed when nil).
    package static func make(
        commonName: String,
        hosts: [String],
        isAuthority: Bool,
        notBefore: Date,
        notAfter: Date,
        issuer: Made?
    ) throws(HTTPClientError) -> Made {
        guard let key = courier_EVP_EC_gen_P256(), let x509 = X509_new() else { throw failure("cannot create a key") }
        defer {
            EVP_PKEY_free(key)
            X509_free(x509)
        }
        X509_set_version(x509, 2)
        ASN1_INTEGER_set_int64(X509_get_serialNumber(x509), Int64.random(in: 1..<Int64.max))
        X509_gmtime_adj(X509_getm_notBefore(x509), Int(notBefore.timeIntervalSinceNow))
        X509_gmtime_adj(X509_getm_notAfter(x509), Int(notAfter.timeIntervalSinceNow))
        X509_set_pubkey(x509, key)
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x509), "CN", MBSTRING_ASC, commonName, -1, -1, 0)

        var issuerCertificate: OpaquePointer?
        var issuerKey: OpaquePointer?
        defer {
            if let issuerCertificate { X509_free(issuerCertificate) }
            if let issuerKey { EVP_PKEY_free(issuerKey) }
        }
        if let issuer {
            issuerCertificate = X509.parse(issuer.certificate)
            issuerKey = privateKey(pem: issuer.privateKeyPEM)
            guard let issuerCertificate, issuerKey != nil else { throw failure("the issuer does not parse") }
            X509_set_issuer_name(x509, X509_get_subject_name(issuerCertificate))
        } else {
            X509_set_issuer_name(x509, X509_get_subject_name(x509))
        }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuerCertificate ?? x509, x509, nil, nil, 0)
        var extensions: [(Int32, String)] = [
            (NID_basic_constraints, isAuthority ? "critical,CA:TRUE" : "critical,CA:FALSE"),
            (NID_key_usage, isAuthority ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,keyEncipherment"),
            (NID_subject_key_identifier, "hash"),
        ]
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        if !isAuthority { extensions.append((NID_ext_key_usage, "serverAuth,clientAuth")) }
        if !hosts.isEmpty {
            let names = hosts.map { SocketAddress(numericHost: $0, port: 0) != nil ? "IP:\($0)" : "DNS:\($0)" }
            extensions.append((NID_subject_alt_name, names.joined(separator: ",")))
        }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else { throw failure("extension \(value)") }
            X509_add_ext(x509, ext, -1)
            X509_EXTENSION_free(ext)
        }
        guard X509_sign(x509, issuerKey ?? key, EVP_sha256()) > 0 else { throw failure("cannot sign") }
        return Made(certificate: X509.certificate(x509), privateKeyPEM: try pem(of: key))
    }

    private static func privateKey(pem: String) -> OpaquePointer? {
        pem.utf8CString.withUnsafeBufferPointer { text -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(text.baseAddress, Int32(text.count - 1)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
    }

    private static func pem(of key: OpaquePointer) throws(HTTPClientError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw failure("cannot allocate a BIO") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, key, nil, nil, 0, nil, nil) == 1 else {
            throw failure("cannot encode the key")
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = courier_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { throw failure("cannot read the key") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func failure(_ reason: String) -> HTTPClientError {
        HTTPClientError(
            .tls(.invalidConfiguration),
            "Making a certificate failed: \(reason): \(OpenSSLErrors.describe(OpenSSLErrors.drain())).")
    }
}
