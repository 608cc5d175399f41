import CourierCache
import CourierCore
import FoundationEssentials

/// What the cache reads from the network and from its store: stored metadata
/// (`CachedResponseHeadCoding`), `Cache-Control` and `Age` values, and HTTP-dates.
///
/// Input: a mode byte, then the payload. Mode 0: the payload is a stored entry's metadata; mode
/// 1: a `Cache-Control` value (decoded as the head parser decodes field values), also read as an
/// `Age`; mode 2: an HTTP-date, with the clock fixed so that two-digit years reproduce.
///
/// Invariants: metadata the decoder accepts encodes to bytes that decode to the same head (a
/// corrupt entry is rejected or read consistently, never half-read); every delta-seconds and
/// `Age` lies in 0...2^31; directive names are non-empty and lowercase; a date the parser accepts
/// is a whole second that formats and parses back unchanged.
enum CacheTarget {
    /// 2026-12-01T00:00:00Z.
    private static let now = Date(timeIntervalSince1970: 1_796_083_200)

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let mode = input.byte() % 3
        let payload = input.rest()
        switch mode {
        case 0: metadata(Array(payload))
        case 1: cacheControl(String(decoding: payload, as: UTF8.self))
        default: date(String(decoding: payload, as: UTF8.self))
        }
    }

    private static func metadata(_ bytes: [UInt8]) {
        guard let head = try? CachedResponseHeadCoding.decode(bytes) else { return }
        let again = try? CachedResponseHeadCoding.decode(CachedResponseHeadCoding.encode(head))
        require(again == head, "metadata \(escaped(bytes)) does not survive re-encoding")
    }

    private static func cacheControl(_ value: String) {
        let control = CacheControl(["Cache-Control": value])
        for delta in [
            control.maxAge, control.sMaxAge, control.maxStale, control.minFresh, control.staleWhileRevalidate,
            control.staleIfError,
        ] {
            if let delta {
                require((0...CacheControl.maximumDelta).contains(delta), "delta \(delta) from \(escaped(value.utf8))")
            }
        }
        for (name, _) in CacheControl.directives(in: value) {
            require(!name.isEmpty && name == name.lowercased(), "directive name \(escaped(name.utf8))")
        }
        let age = Freshness.ageValue(["Age": value])
        require((0...CacheControl.maximumDelta).contains(age), "Age \(age) from \(escaped(value.utf8))")
    }

    private static func date(_ text: String) {
        guard let date = HTTPDate.parse(text, now: now) else { return }
        require(date.timeIntervalSince1970.rounded(.down) == date.timeIntervalSince1970, "a fractional HTTP-date")
        let year = 1970 + date.timeIntervalSince1970 / 31_556_952
        guard year > 1601, year < 9999 else { return }
        require(
            HTTPDate.parse(CookieDate.format(date), now: now) == date,
            "\(escaped(text.utf8)) formats as \(CookieDate.format(date)), which parses to another instant")
    }
}
