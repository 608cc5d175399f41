import CourierCore
package import FoundationEssentials

/// The three date formats of RFC 9110 §5.6.7, parsed strictly: a cache must treat a date it
/// cannot read as invalid (an `Expires` it cannot parse means "already expired"), so unlike the
/// cookie-date algorithm this accepts nothing but
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and `Sun Nov  6 08:49:37 1994`.
package enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let shortDays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let longDays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// The date in `text`, or nil unless it is exactly one of the three forms (single spaces,
    /// two-digit day and time fields, `GMT`); names of days and months in any case.
    package static func parse(_ text: String, now: Date = Date()) -> Date? {
        if let date = fixdate(text) { return date }
        let parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let isGMT = { (zone: String) in zone.lowercased() == "gmt" }
        if parts.count == 6, parts[0].hasSuffix(","), shortDays.contains(parts[0].dropLast().lowercased()),
            isGMT(parts[5]), parts[1].count == 2, parts[3].count == 4
        {
            // IMF-fixdate
            return date(day: parts[1], month: parts[2], year: parts[3], time: parts[4])
        }
        if parts.count == 4, parts[0].hasSuffix(","), longDays.contains(parts[0].dropLast().lowercased()),
            isGMT(parts[3])
        {
            // rfc850-date: a two-digit year more than 50 years ahead is the latest past year
            // with those digits (RFC 9110 §5.6.7).
            let pieces = parts[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count == 3, pieces[0].count == 2, pieces[2].count == 2, let short = Int(pieces[2]) else {
                return nil
            }
            let currentYear = Int((now.timeIntervalSince1970 / 31_556_952).rounded(.down)) + 1970
            var year = currentYear - currentYear % 100 + short
            if year > currentYear + 50 { year -= 100 }
            return date(day: pieces[0], month: pieces[1], year: String(year), time: parts[2])
        }
        // asctime-date: `Sun Nov  6 08:49:37 1994`, the day padded with a space.
        var asctime = parts
        if asctime.count == 6, asctime[2].isEmpty, asctime[3].count == 1 { asctime.remove(at: 2) }
        if asctime.count == 5, shortDays.contains(asctime[0].lowercased()), asctime[4].count == 4,
            asctime[2].count == 2 || parts.count == 6
        {
            return date(day: asctime[2], month: asctime[1], year: asctime[4], time: asctime[3])
        }
        return nil
    }

    /// IMF-fixdate, the form servers send (`Sun, 06 Nov 1994 08:49:37 GMT`), read from its
    /// bytes at their fixed places: a cache reads a stored `Date` on every hit, and splitting it
    /// into strings cost more than the rest of the freshness arithmetic. Nil for anything else,
    /// which the general parser then reads (or refuses) as before.
    private static func fixdate(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count == 29, bytes[3] == UInt8(ascii: ","), bytes[4] == 0x20, bytes[7] == 0x20,
                bytes[11] == 0x20, bytes[16] == 0x20, bytes[19] == UInt8(ascii: ":"),
                bytes[22] == UInt8(ascii: ":"), bytes[25] == 0x20
            else { return nil }
            func lower(_ range: Range<Int>) -> String {
                String(decoding: bytes[range].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
            }
            func number(_ range: Range<Int>) -> Int? {
                var value = 0
                for byte in bytes[range] {
                    guard byte >= 0x30 && byte <= 0x39 else { return nil }
                    value = value * 10 + Int(byte - 0x30)
                }
                return value
            }
            guard shortDays.contains(lower(0..<3)), lower(26..<29) == "gmt",
                let month = months.firstIndex(of: lower(8..<11)), let day = number(5..<7),
                let year = number(12..<16), let hour = number(17..<19), let minute = number(20..<22),
                let second = number(23..<25), (1...31).contains(day), hour < 24, minute < 60, second < 61
            else { return nil }
            let days = CookieDate.daysSinceEpoch(year: year, month: month + 1, day: day)
            return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
        }
    }

    private static func date(day: String, month: String, year: String, time: String) -> Date? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        let digits = { (text: String) in !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard let month = months.firstIndex(of: month.lowercased()), digits(day), digits(year),
            let day = Int(day), let year = Int(year), clock.count == 3,
            clock.allSatisfy({ $0.count == 2 && digits(String($0)) }),
            let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        let days = CookieDate.daysSinceEpoch(year: year, month: month + 1, day: day)
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
    }
}
