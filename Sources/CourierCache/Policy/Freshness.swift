package import CourierCore
package import FoundationEssentials

/// How long a stored response stays fresh and how old it is now (RFC 9111 §4.2), in seconds.
package struct Freshness: Sendable, Equatable {
    /// Codes a cache may give a heuristic lifetime without explicit freshness (RFC 9110 §15.1).
    package static let heuristicallyCacheable: Set<Int> = [200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]

    /// `freshness_lifetime` (§4.2.1).
    package let lifetime: Double
    /// `current_age` (§4.2.3).
    package let age: Double

    package var isFresh: Bool { lifetime > age }

    package init(lifetime: Double, age: Double) {
        self.lifetime = lifetime
        self.age = age
    }

    package init(_ head: CachedResponseHead, now: Date) {
        self.init(lifetime: head.lifetime, age: Freshness.currentAge(head, now: now))
    }

    /// A private cache ignores `s-maxage`; `max-age` wins over `Expires`; an `Expires` that is
    /// not one valid date (or is given twice) means already expired; failing both, 10 % of the
    /// time since `Last-Modified` for heuristically cacheable codes and `public` responses.
    package static func lifetime(_ head: CachedResponseHead) -> Double {
        let control = head.control
        if let maxAge = control.maxAge { return Double(maxAge) }
        let expires = head.headers.values(for: "Expires")
        if !expires.isEmpty {
            guard expires.count == 1, let date = HTTPDate.parse(expires[0]) else { return 0 }
            return max(0, date.timeIntervalSince(dateValue(head)))
        }
        if heuristicallyCacheable.contains(head.status.code) || control.isPublic,
            let value = head.headers["Last-Modified"], let lastModified = HTTPDate.parse(value)
        {
            return max(0, dateValue(head).timeIntervalSince(lastModified) / 10)
        }
        return 0
    }

    /// §4.2.3: the larger of the age the `Date` implies and the `Age` the response carried plus
    /// the time the request took. The current age adds the time since the response arrived.
    package static func initialAge(_ head: CachedResponseHead) -> Double {
        let apparentAge = max(0, head.responseTime.timeIntervalSince(dateValue(head)))
        let responseDelay = max(0, head.responseTime.timeIntervalSince(head.requestTime))
        let correctedAgeValue = Double(ageValue(head.headers)) + responseDelay
        return max(apparentAge, correctedAgeValue)
    }

    /// `current_age` (§4.2.3): the age at arrival plus the time since.
    package static func currentAge(_ head: CachedResponseHead, now: Date) -> Double {
        head.initialAge + max(0, now.timeIntervalSince(head.responseTime))
    }

    /// The `Date` of the response; the time it arrived when it has no valid one (a cache
    /// must treat it as if it had been given that date, RFC 9110 §6.6.1).
    package static func dateValue(_ head: CachedResponseHead) -> Date {
        let dates = head.headers.values(for: "Date")
        guard dates.count == 1, let date = HTTPDate.parse(dates[0]) else { return head.responseTime }
        return date
    }

    /// The first element of the first `Age` field when it is a delta-seconds; 0 (the field is
    /// ignored) when it is negative, fractional or not a number.
    package static func ageValue(_ headers: HTTPHeaders) -> Int {
        guard let field = headers.values(for: "Age").first,
            let first = field.split(separator: ",", omittingEmptySubsequences: false).first
        else { return 0 }
        let text = first.trimmingCharacters(in: " \t")
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return 0 }
        let significant = text.drop { $0 == "0" }
        guard significant.count <= 10, let value = Int(significant.isEmpty ? "0" : significant) else {
            return CacheControl.maximumDelta
        }
        return min(value, CacheControl.maximumDelta)
    }
}
