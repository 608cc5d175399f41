package import CourierCore

/// OkHttp `CertificatePinner` semantics: a host that matches a pattern must present, somewhere in
/// its verified chain, a public key whose SHA-256 (of the DER SubjectPublicKeyInfo) is pinned.
///
/// Patterns: `example.com` matches exactly; `*.example.com` matches exactly one more label
/// (`www.example.com`, not `example.com` or `a.b.example.com`); `**.example.com` matches any
/// number of labels, including none. Pins are written `sha256/<base64>`.
package struct CertificatePinner: Sendable {
    package let pins: [String: [String]]

    package init(_ pins: [String: [String]]) {
        self.pins = pins
    }

    /// The pins that apply to `host`, from every matching pattern.
    package func pins(for host: String) -> Set<String> {
        var result = Set<String>()
        let host = CertificatePinner.canonical(host)
        for (pattern, hashes) in pins
        where CertificatePinner.matches(pattern: CertificatePinner.canonical(pattern), host: host) {
            result.formUnion(hashes)
        }
        return result
    }

    /// Lowercase, an IP literal in the one form `inet_ntop` writes, and a Unicode name in its
    /// A-label form: `[0:0::1]` and `::1` are one address to the certificate check, and
    /// `münchen.de` is the `xn--mnchen-3ya.de` a call connects to, so each must be one host to
    /// the pins too, or another spelling of a pinned host would skip its pins.
    private static func canonical(_ host: String) -> String {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let address = SocketAddress(numericHost: bare, port: 0) { return address.host }
        let wildcard = ["**.", "*."].first { host.hasPrefix($0) } ?? ""
        let name = String(host.dropFirst(wildcard.count))
        return wildcard + (DomainToASCII.convert(name) ?? name.lowercased())
    }

    /// Checks a verified chain, given as each certificate's pin string, leaf first.
    package func check(host: String, chainPins: [String]) throws(HTTPClientError) {
        let required = pins(for: host)
        guard !required.isEmpty else { return }
        if chainPins.contains(where: required.contains) { return }
        throw HTTPClientError(
            .tls(.pinMismatch),
            "Certificate pinning failure for \(host): the chain's public keys are \(chainPins.joined(separator: ", ")); "
                + "pinned: \(required.sorted().joined(separator: ", "))."
        )
    }

    package static func matches(pattern: String, host: String) -> Bool {
        if pattern.hasPrefix("**.") {
            let suffix = String(pattern.dropFirst(3))
            return host == suffix || host.hasSuffix("." + suffix)
        }
        if pattern.hasPrefix("*.") {
            let suffix = String(pattern.dropFirst(2))
            guard host.hasSuffix("." + suffix) else { return false }
            return !host.dropLast(suffix.count + 1).contains(".")
        }
        return pattern == host
    }
}
