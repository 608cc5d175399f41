public import FoundationEssentials

/// An HTTP cookie (RFC 6265), as a server set it and a cookie jar keeps it.
public struct Cookie: Hashable, Sendable, CustomStringConvertible {
    public enum SameSite: String, Hashable, Sendable {
        case strict
        case lax
        case none
    }

    public var name: String
    public var value: String
    /// Lowercase, without a leading dot: the host for a host-only cookie.
    public var domain: String
    public var path: String
    /// nil for a session cookie, which lives as long as its jar.
    public var expires: Date?
    public var secure: Bool
    public var httpOnly: Bool
    /// Sent only to exactly `domain`, not to its subdomains: the server gave no `Domain`.
    public var hostOnly: Bool
    public var sameSite: SameSite?
    /// When the jar first stored a cookie of this name, domain and path; it orders the `Cookie` header.
    public var creation: Date

    public init(
        name: String,
        value: String,
        domain: String,
        path: String = "/",
        expires: Date? = nil,
        secure: Bool = false,
        httpOnly: Bool = false,
        hostOnly: Bool = true,
        sameSite: SameSite? = nil,
        creation: Date = Date()
    ) {
        self.name = name
        self.value = value
        self.domain = domain
        self.path = path
        self.expires = expires
        self.secure = secure
        self.httpOnly = httpOnly
        self.hostOnly = hostOnly
        self.sameSite = sameSite
        self.creation = creation
    }

    public var description: String { "\(name)=\(value); domain=\(domain); path=\(path)" }

    public func isExpired(at now: Date) -> Bool {
        expires.map { $0 <= now } ?? false
    }

    /// Whether this cookie goes with a request to `url` (RFC 6265 §5.4 step 1): domain, path and
    /// scheme match, and it has not expired.
    public func matches(_ url: URL, at now: Date = Date()) -> Bool {
        guard let host = CookieRules.canonicalHost(url), !isExpired(at: now) else { return false }
        let domainMatches = hostOnly ? host == domain : CookieRules.domainMatches(host, domain)
        return domainMatches && CookieRules.pathMatches(CookieRules.requestPath(url), path)
            && (!secure || CookieRules.isSecure(url))
    }

    /// The longest a cookie lives, whatever its Max-Age or Expires says: 400 days, as RFC 6265bis
    /// §5.6.1–5.6.2 caps it (and as browsers do), which also keeps every expiry a date
    /// `CookieDate` can write.
    package static let maxLifetime: TimeInterval = 400 * 86_400

    /// Whether `other` would replace or shadow this cookie: the same name, domains that
    /// domain-match either way, and a path within this one's.
    package func shadows(by other: Cookie) -> Bool {
        name == other.name
            && (CookieRules.domainMatches(domain, other.domain) || CookieRules.domainMatches(other.domain, domain))
            && CookieRules.pathMatches(other.path, path)
    }

    /// Parses a `Set-Cookie` value received in a response to `url`, applying RFC 6265 §5.2 and
    /// the storage rules of §5.3 that need no other cookie: the domain must match the request
    /// host and must not be a public suffix, and path and host-only are settled. Returns nil for
    /// a cookie the rules reject. As RFC 6265bis §5.7 adds, a `Secure` cookie is accepted only
    /// from a secure origin: a cleartext response could otherwise plant one for https pages; and
    /// the `__Secure-` and `__Host-` prefixes and the size limits of §5.6 hold.
    public static func parse(_ header: String, from url: URL, now: Date = Date()) -> Cookie? {
        guard let host = CookieRules.canonicalHost(url) else { return nil }
        let pieces = header.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
        guard let equals = pieces[0].firstIndex(of: "=") else { return nil }
        let name = String(pieces[0][..<equals].trimmingWhitespace())
        let value = String(pieces[0][pieces[0].index(after: equals)...].trimmingWhitespace())
        guard !name.isEmpty else { return nil }
        // RFC 6265bis §5.6: a cookie over 4096 octets of name and value is ignored entirely.
        guard name.utf8.count + value.utf8.count <= 4096 else { return nil }

        var expires: Date?
        var maxAge: Date?
        var domainAttribute: String?
        var path: String?
        var secure = false
        var httpOnly = false
        var sameSite: SameSite?
        let attributes = pieces.count > 1 ? pieces[1].split(separator: ";", omittingEmptySubsequences: false) : []
        for attribute in attributes {
            let parts = attribute.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0].trimmingWhitespace().lowercased()
            let argument = parts.count > 1 ? String(parts[1].trimmingWhitespace()) : ""
            // RFC 6265bis §5.6: an attribute value over 1024 octets ignores that attribute.
            guard argument.utf8.count <= 1024 else { continue }
            switch key {
            case "expires":
                if let date = CookieDate.parse(argument) { expires = date }
            case "max-age":
                guard let first = argument.first, first == "-" || first.isASCII && first.isNumber,
                    argument.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }), argument != "-"
                else { continue }
                // Digits past Int's range still say which way (§5.2.2): gone at once, or the cap.
                let seconds = Int(argument) ?? (first == "-" ? Int.min : Int.max)
                maxAge = seconds <= 0 ? Date(timeIntervalSince1970: 0) : now.addingTimeInterval(TimeInterval(seconds))
            case "domain":
                guard !argument.isEmpty else { continue }
                // Only one leading dot goes (§5.2.3): "..example.org" stays invalid. A Unicode
                // name compares with the host in its A-label form, as hosts are kept.
                let name = String(argument.hasPrefix(".") ? argument.dropFirst() : argument[...])
                domainAttribute = DomainToASCII.convert(name) ?? name.lowercased()
            case "path":
                path = argument.hasPrefix("/") ? argument : nil
            case "secure":
                secure = true
            case "httponly":
                httpOnly = true
            case "samesite":
                sameSite = SameSite(rawValue: argument.lowercased())
            default:
                continue
            }
        }

        if secure && !CookieRules.isSecure(url) { return nil }
        var domain = host
        var hostOnly = true
        if let attribute = domainAttribute, !attribute.isEmpty {
            if PublicSuffixList.isPublicSuffix(attribute) {
                // A public suffix is acceptable only as the request's own host (then host-only).
                guard attribute == host else { return nil }
            } else {
                guard CookieRules.domainMatches(host, attribute) else { return nil }
                domain = attribute
                hostOnly = false
            }
        }
        // RFC 6265bis §5.7, cookie prefixes (matched regardless of case): a `__Secure-` cookie
        // must be Secure (so from a secure origin, checked above); a `__Host-` one too, and also
        // host-only with `Path=/`, so that no other host, nor another path, can have set it.
        let lowered = name.lowercased()
        if lowered.hasPrefix("__secure-") && !secure { return nil }
        if lowered.hasPrefix("__host-") && !(secure && hostOnly && domainAttribute == nil && path == "/") {
            return nil
        }
        return Cookie(
            name: name,
            value: value,
            domain: domain,
            path: path ?? CookieRules.defaultPath(url),
            expires: (maxAge ?? expires).map { min($0, now.addingTimeInterval(Cookie.maxLifetime)) },
            secure: secure,
            httpOnly: httpOnly,
            hostOnly: hostOnly,
            sameSite: sameSite,
            creation: now
        )
    }
}

/// RFC 6265 §5.1: canonical hosts, domain matching, paths.
package enum CookieRules {
    /// §5.1.2: the URL's host as it goes on the wire (``URLHost``: lower case, IDNA A-labels,
    /// IPv6 without brackets), without a trailing dot.
    package static func canonicalHost(_ url: URL) -> String? {
        guard var host = URLHost.canonical(of: url) else { return nil }
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    /// §5.1.3: identical, or `domain` is a suffix of `host` after a dot and `host` is a name, not an IP.
    package static func domainMatches(_ host: String, _ domain: String) -> Bool {
        if host == domain { return true }
        let isAddress =
            host.contains(":") || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        return !isAddress && host.hasSuffix("." + domain)
    }

    /// Whether `url` is a secure origin for cookies: https or wss.
    package static func isSecure(_ url: URL) -> Bool {
        let scheme = url.scheme?.lowercased()
        return scheme == "https" || scheme == "wss"
    }

    /// §5.1.4: identical, or a prefix that ends with `/` or is followed by `/`.
    package static func pathMatches(_ requestPath: String, _ cookiePath: String) -> Bool {
        if requestPath == cookiePath { return true }
        guard requestPath.hasPrefix(cookiePath) else { return false }
        return cookiePath.hasSuffix("/") || requestPath.dropFirst(cookiePath.count).first == "/"
    }

    /// The path the request line carries (dot segments resolved, ``URLPath``), so that
    /// `/admin/../public/x` matches the cookies of `/public`, where it goes, not of `/admin`.
    package static func requestPath(_ url: URL) -> String {
        URLPath.removingDotSegments(url.path(percentEncoded: true))
    }

    /// §5.1.4 default-path: the request path up to, not including, its last `/`; `/` at least.
    package static func defaultPath(_ url: URL) -> String {
        let path = requestPath(url)
        guard path.hasPrefix("/"), let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
