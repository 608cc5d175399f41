package import CourierCore
import FoundationEssentials

/// The preconditions a request carries itself, and whether the cache can answer them from a
/// stored response (RFC 9111 §4.3.2, RFC 9110 §13.2.2): `If-None-Match` by weak comparison with
/// the stored `ETag`, or, without it, `If-Modified-Since` against the stored `Last-Modified`
/// (its `Date`, or when it arrived, failing that). Requests with `If-Match` or
/// `If-Unmodified-Since` are the origin's to answer. `If-Range` is not a condition here: it only
/// decides whether a `Range` is honoured, which ``RangeAnswer`` evaluates against the response
/// that answers.
package struct RequestConditions: Sendable {
    private let noneMatch: String?
    private let modifiedSince: String?
    private let othersPresent: Bool

    package init(_ headers: HTTPHeaders) {
        noneMatch = headers["If-None-Match"]
        modifiedSince = headers["If-Modified-Since"]
        othersPresent = ["If-Match", "If-Unmodified-Since"].contains { headers.contains($0) }
    }

    package var isEmpty: Bool { noneMatch == nil && modifiedSince == nil && !othersPresent }

    /// Whether the cache may evaluate the request's preconditions itself (or there are none).
    package var cacheMayEvaluate: Bool { !othersPresent }

    /// Whether the conditions hold against `stored`, so that the answer is 304 Not Modified.
    package func matches(_ stored: CachedResponseHead) -> Bool {
        if let noneMatch {
            guard let etag = stored.headers["ETag"] else { return false }
            let stored = RequestConditions.opaque(etag)
            return RequestConditions.entityTags(noneMatch).contains {
                $0 == "*" || RequestConditions.opaque($0) == stored
            }
        }
        if let modifiedSince, let since = HTTPDate.parse(modifiedSince) {
            let modified =
                stored.headers["Last-Modified"].flatMap { HTTPDate.parse($0) } ?? Freshness.dateValue(stored)
            return modified <= since
        }
        return false
    }

    /// The entity-tags of an `If-None-Match` list; commas inside a quoted tag do not split it.
    private static func entityTags(_ value: String) -> [String] {
        var tags: [String] = []
        var current = ""
        var quoted = false
        for character in value {
            if character == "\"" { quoted.toggle() }
            if character == "," && !quoted {
                tags.append(current.trimmingCharacters(in: " \t"))
                current = ""
            } else {
                current.append(character)
            }
        }
        tags.append(current.trimmingCharacters(in: " \t"))
        return tags.filter { !$0.isEmpty }
    }

    /// A tag without its weakness indicator, for the weak comparison of RFC 9110 §8.8.3.2.
    static func opaque(_ tag: String) -> String {
        tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    }
}
