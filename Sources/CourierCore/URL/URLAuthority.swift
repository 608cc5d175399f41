package import FoundationEssentials

/// The host and port of a URL as its absolute string spells them.
///
/// Foundation's accessors lose what the wire needs: `host` drops the brackets of `[google.com]`
/// (no IPv6 address, so no valid host) and `port` is nil both for no port and for one past
/// `Int`'s range — which would quietly become the scheme's default.
package struct URLAuthority {
    /// As written: percent-encoded, an IPv6 address in brackets.
    package let host: Substring
    /// The text after the host's `:`; nil without one, empty for `host:`.
    package let port: Substring?

    /// Nil for a URL without an authority (`mailto:`, `http:foo`).
    package init?(_ url: URL) {
        let text = url.absoluteString
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else { return nil }
        var authority = text[text.index(colon, offsetBy: 3)...]
        if let end = authority.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            authority = authority[..<end]
        }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let hostEnd: Substring.Index
        if authority.first == "[" {
            guard let bracket = authority.firstIndex(of: "]") else { return nil }
            hostEnd = authority.index(after: bracket)
        } else {
            hostEnd = authority.firstIndex(of: ":") ?? authority.endIndex
        }
        host = authority[..<hostEnd]
        let rest = authority[hostEnd...]
        guard let first = rest.first else {
            port = nil
            return
        }
        guard first == ":" else { return nil }
        port = rest.dropFirst()
    }
}

extension URLHost {
    /// The canonical host of `url` (see ``canonical(_:)``); nil without a valid one.
    package static func canonical(of url: URL) -> String? {
        URLAuthority(url).flatMap { canonical(String($0.host)) }
    }
}
