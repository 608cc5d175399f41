package import CourierCore
import FoundationEssentials

/// What the cache answers to a request's `Range` when a stored complete response is used
/// (RFC 9110 §14.2, RFC 9111 §4): the cache plays the server for the stored representation.
///
/// One satisfiable range (after overlapping and adjacent ones are merged) is a 206 with that
/// range. Several disjoint ranges get the whole 200, which §14.2 allows ("a server MAY ignore
/// the Range header field"): a multipart/byteranges body would cost the caller a multipart
/// parser for a request pattern (sparse reads of a cached body) that re-reading the store makes
/// cheap anyway. No satisfiable range is a 416 with `Content-Range: bytes */<length>`, which
/// §15.5.17 prefers to ignoring the field.
package enum RangeAnswer: Sendable, Equatable {
    /// The stored response as it is: no `Range`, one the cache does not evaluate (another unit,
    /// invalid syntax, several fields), several disjoint ranges, an `If-Range` that does not
    /// match, or a stored status other than 200 (§14.2: ranges apply only where the answer
    /// would be 200).
    case whole
    /// 206 Partial Content with these bytes of the stored body.
    case partial(Range<Int>)
    /// 416 Range Not Satisfiable: no range overlaps the stored body.
    case notSatisfiable

    /// How `request` is answered from `stored`, whose body is `bodySize` bytes long.
    package init(request: HTTPRequest, stored: CachedResponseHead, bodySize: Int) {
        let values = request.headers.values(for: "Range")
        guard values.count == 1, stored.status.code == 200, let ranges = ByteRangeSet(values[0]) else {
            self = .whole
            return
        }
        if let validator = request.headers["If-Range"], !RangeAnswer.ifRangeHolds(validator, stored) {
            self = .whole
            return
        }
        let satisfiable = ranges.satisfiable(in: bodySize)
        switch satisfiable.count {
        case 0: self = .notSatisfiable
        case 1: self = .partial(satisfiable[0])
        default: self = .whole
        }
    }

    /// Whether an `If-Range` validator matches the stored response (RFC 9110 §13.1.5): an
    /// entity-tag by strong comparison (a weak tag never matches), a date only when it equals a
    /// `Last-Modified` that is a strong validator, that is, at least one second before the
    /// stored `Date` (§8.8.2.2). Anything else does not match, and the whole response is sent.
    private static func ifRangeHolds(_ value: String, _ stored: CachedResponseHead) -> Bool {
        let validator = value.trimmingCharacters(in: " \t")
        if validator.hasPrefix("\"") || validator.hasPrefix("W/") {
            guard validator.hasPrefix("\""), let etag = stored.headers["ETag"]?.trimmingCharacters(in: " \t"),
                etag.hasPrefix("\"")
            else { return false }
            return etag == validator
        }
        guard let date = HTTPDate.parse(validator),
            let lastModified = stored.headers["Last-Modified"].flatMap({ HTTPDate.parse($0) }),
            let responseDate = stored.headers["Date"].flatMap({ HTTPDate.parse($0) })
        else { return false }
        return date == lastModified && responseDate.timeIntervalSince(lastModified) >= 1
    }
}
