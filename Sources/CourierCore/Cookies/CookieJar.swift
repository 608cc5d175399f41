public import FoundationEssentials
import Synchronization

/// Where a client keeps cookies between calls. The default client has none, as OkHttp's.
///
/// ```swift
/// config.cookieJar = InMemoryCookieJar()
/// ```
public protocol CookieJar: Sendable {
    /// The cookies to send with a request to `url`, in the order they go in the `Cookie` header.
    func cookies(for url: URL) async -> [Cookie]
    /// Cookies that a response to a request for `url` set, already parsed and checked by
    /// `Cookie.parse(_:from:)`.
    func save(_ cookies: [Cookie], from url: URL) async
}

/// RFC 6265's cookie store, in memory: a cookie replaces one with the same name, domain and path
/// (keeping its creation time), expired cookies are dropped, and cookies for a request are
/// ordered longest path first, then oldest first. It holds at most ``maxCookiesPerDomain`` per
/// domain and ``maxCookies`` in all, the oldest going first (RFC 6265 §6.1 asks for at least 50
/// and 3000; browsers keep 180 per domain): a server that sets cookies by the thousand cannot
/// grow it without bound.
public final class InMemoryCookieJar: CookieJar {
    public static let maxCookiesPerDomain = 180
    public static let maxCookies = 3000

    private struct Key: Hashable {
        let name: String
        let domain: String
        let path: String
    }

    private let store = Mutex<[Key: Cookie]>([:])

    public init() {}

    public func cookies(for url: URL) async -> [Cookie] {
        let now = Date()
        return store.withLock { store in
            store = store.filter { !$0.value.isExpired(at: now) }
            return store.values.filter { $0.matches(url, at: now) }.sorted { a, b in
                a.path.count != b.path.count ? a.path.count > b.path.count : a.creation < b.creation
            }
        }
    }

    /// Stores `cookies`, replacing those with the same name, domain and path. A response over
    /// cleartext cannot replace or shadow a `Secure` cookie (RFC 6265bis §5.7): same name, a
    /// domain that matches either way, and a path within the secure one's.
    public func save(_ cookies: [Cookie], from url: URL) async {
        let now = Date()
        let secureOrigin = CookieRules.isSecure(url)
        store.withLock { store in
            for var cookie in cookies {
                if !secureOrigin && store.values.contains(where: { $0.secure && $0.shadows(by: cookie) }) { continue }
                let key = Key(name: cookie.name, domain: cookie.domain, path: cookie.path)
                if let existing = store[key] { cookie.creation = existing.creation }
                store[key] = cookie.isExpired(at: now) ? nil : cookie
            }
            for domain in Set(cookies.map(\.domain)) {
                let held = store.keys.filter { $0.domain == domain }
                if held.count > InMemoryCookieJar.maxCookiesPerDomain {
                    InMemoryCookieJar.evictOldest(
                        held.count - InMemoryCookieJar.maxCookiesPerDomain, of: held, from: &store)
                }
            }
            if store.count > InMemoryCookieJar.maxCookies {
                store = store.filter { !$0.value.isExpired(at: now) }
                if store.count > InMemoryCookieJar.maxCookies {
                    InMemoryCookieJar.evictOldest(
                        store.count - InMemoryCookieJar.maxCookies, of: Array(store.keys), from: &store)
                }
            }
        }
    }

    /// Removes the `count` cookies among `keys` created first.
    private static func evictOldest(_ count: Int, of keys: [Key], from store: inout [Key: Cookie]) {
        let oldest = keys.sorted { store[$0]!.creation < store[$1]!.creation }.prefix(count)
        for key in oldest { store[key] = nil }
    }

    /// Every cookie held, expired or not.
    public var all: [Cookie] { store.withLock { Array($0.values) } }

    public func removeAll() {
        store.withLock { $0.removeAll() }
    }
}
