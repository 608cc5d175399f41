import CourierCore
import FoundationEssentials

/// `Cookie.parse` (RFC 6265 §5.2–5.3) on `Set-Cookie` values, and `CookieDate` on their text.
///
/// Input: a byte choosing the request URL (hosts with and without a public suffix, an IP
/// address, a trailing dot, upper case, deep and empty paths, http and https), then the header
/// value, decoded as the head parser decodes field values (UTF-8, invalid bytes replaced). The
/// clock is fixed, so a saved input always reproduces.
///
/// Invariants: an accepted cookie has a non-empty name without `=` or `;`, a value without `;`,
/// a lowercase domain that the request host domain-matches and that is no public suffix unless
/// it is the host itself, host-only only for the host itself, a path that starts with `/`, and
/// `Secure` only from https (RFC 6265bis §5.7); it goes back to the URL that set it exactly when
/// it has not expired, the path matches and the scheme fits `Secure`; it expires at most 400 days
/// ahead (RFC 6265bis §5.6.1–5.6.2); and any date the parser accepts, and any expiry, formats and
/// parses back to itself.
enum CookieTarget {
    private static let urls = [
        "http://home.example.org:8888/cookie-parser?0001",
        "https://www.example.com/a/b/c",
        "http://sub.domain.example.co.uk/",
        "http://example.com",
        "http://192.168.0.1/path/",
        "http://[::1]:8080/x/y",
        "http://Example.ORG./Dir/Page",
        "https://user.github.io/repo/",
        "http://localhost/",
        "http://a.b.c.d.e.f.example.net/one/two/three/four?q=1#f",
    ].map { URL(string: $0)! }

    /// 2015-01-01T00:00:00Z, the clock the http-state suite assumes.
    private static let now = Date(timeIntervalSince1970: 1_420_070_400)

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let url = urls[Int(input.byte()) % urls.count]
        let header = String(decoding: input.rest(), as: UTF8.self)

        checkDate(header)
        guard let cookie = Cookie.parse(header, from: url, now: now) else { return }
        let host = CookieRules.canonicalHost(url)!
        require(
            !cookie.name.isEmpty && !cookie.name.contains("=") && !cookie.name.contains(";"),
            "cookie name \(escaped(cookie.name.utf8))")
        require(!cookie.value.contains(";"), "cookie value \(escaped(cookie.value.utf8)) holds a semicolon")
        require(
            cookie.domain == cookie.domain.lowercased(), "cookie domain \(escaped(cookie.domain.utf8)) is not lowercase"
        )
        require(
            CookieRules.domainMatches(host, cookie.domain),
            "host \(host) does not domain-match the cookie's domain \(escaped(cookie.domain.utf8))")
        require(
            cookie.domain == host || !PublicSuffixList.isPublicSuffix(cookie.domain),
            "a cookie from \(host) was accepted for the public suffix \(escaped(cookie.domain.utf8))")
        require(!cookie.hostOnly || cookie.domain == host, "a host-only cookie for \(cookie.domain) set by \(host)")
        require(cookie.path.hasPrefix("/"), "cookie path \(escaped(cookie.path.utf8)) does not start with /")
        require(!cookie.path.contains(";"), "cookie path \(escaped(cookie.path.utf8)) holds a semicolon")
        require(cookie.creation == now, "the creation time is not the parse time")

        let pathMatches = CookieRules.pathMatches(CookieRules.requestPath(url), cookie.path)
        require(!cookie.secure || CookieRules.isSecure(url), "a Secure cookie from the insecure origin \(url)")
        let schemeFits = !cookie.secure || CookieRules.isSecure(url)
        require(
            cookie.matches(url, at: now) == (!cookie.isExpired(at: now) && pathMatches && schemeFits),
            "cookie \(cookie) from \(url) matches it: \(cookie.matches(url, at: now))")
        if let expires = cookie.expires {
            require(
                expires <= now.addingTimeInterval(Cookie.maxLifetime),
                "cookie \(cookie) expires more than 400 days ahead: \(expires.timeIntervalSince1970)")
            checkFormats(expires)
        }
    }

    /// Any date `CookieDate` accepts is a whole second that formats and parses back unchanged.
    private static func checkDate(_ text: String) {
        guard let date = CookieDate.parse(text) else { return }
        require(date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970, "a fractional cookie date")
        checkFormats(date)
    }

    private static func checkFormats(_ date: Date) {
        let formatted = CookieDate.format(date)
        require(
            CookieDate.parse(formatted) == date,
            "\(date.timeIntervalSince1970) formats as \(formatted), which parses as \(String(describing: CookieDate.parse(formatted)))"
        )
    }
}
