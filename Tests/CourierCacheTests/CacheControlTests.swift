import CourierCache
import CourierCore
import Testing

@Suite("Cache-Control parsing")
struct CacheControlTests {
    @Test("Directives of several fields combine; names ignore case; the first of a repeated directive wins")
    func combines() {
        var headers: HTTPHeaders = ["Cache-Control": "Max-Age=60, PUBLIC"]
        headers.add("cache-control", "max-age=5, must-revalidate, no-cache=\"Set-Cookie, X-A\"")
        let control = CacheControl(headers)
        #expect(control.maxAge == 60)
        #expect(control.isPublic)
        #expect(control.mustRevalidate)
        #expect(!control.noCache)
        #expect(control.noCacheFields == ["set-cookie", "x-a"])
        #expect(!control.noStore)
        #expect(CacheControl(["Cache-Control": "no-cache, no-cache=\"a\""]).noCache)
    }

    @Test("A repeated no-cache reads strictly: unqualified after qualified still wins, field names add up")
    func repeatedNoCache() {
        var headers: HTTPHeaders = ["Cache-Control": "no-cache=\"Set-Cookie\""]
        headers.add("Cache-Control", "no-cache")
        #expect(CacheControl(headers).noCache)
        let fields = CacheControl(["Cache-Control": "no-cache=\"a\", no-cache=\"b\""])
        #expect(!fields.noCache)
        #expect(fields.noCacheFields == ["a", "b"])
    }

    @Test("A directive inside a quoted argument is not a directive")
    func quoted() {
        let control = CacheControl(["Cache-Control": "foo=\"max-age=8600\", max-age=1"])
        #expect(control.maxAge == 1)
        let reversed = CacheControl(["Cache-Control": "max-age=1, foo=\"max-age=8600\""])
        #expect(reversed.maxAge == 1)
        #expect(CacheControl(["Cache-Control": "no-cache=\"a, max-age=9\""]).maxAge == nil)
    }

    @Test(
        "delta-seconds: digits only, leading zeros allowed, overflow capped at 2^31, anything else is 0",
        arguments: [
            ("003600", 3600), ("3600", 3600), ("'3600'", 0), ("3600.5", 0), ("a100", 0), ("100a", 0), ("", 0),
            ("99999999999999999999", 2_147_483_648), ("2147483649", 2_147_483_648), ("\"3600\"", 3600),
        ])
    func delta(value: String, expected: Int) {
        #expect(CacheControl(["Cache-Control": "max-age=\(value)"]).maxAge == expected)
    }

    @Test("Request directives: max-stale without a value accepts any staleness")
    func requestDirectives() {
        let control = CacheControl(["Cache-Control": "max-stale, min-fresh=10, only-if-cached, no-store"])
        #expect(control.maxStale == CacheControl.maximumDelta)
        #expect(control.minFresh == 10)
        #expect(control.onlyIfCached)
        #expect(control.noStore)
        #expect(CacheControl(["Cache-Control": "max-stale=30"]).maxStale == 30)
    }

    @Test("stale-while-revalidate, stale-if-error, private, s-maxage and must-understand are read")
    func extensions() {
        let control = CacheControl([
            "Cache-Control": "private, s-maxage=9, stale-while-revalidate=5, stale-if-error=60, must-understand"
        ])
        #expect(control.isPrivate)
        #expect(control.sMaxAge == 9)
        #expect(control.staleWhileRevalidate == 5)
        #expect(control.staleIfError == 60)
        #expect(control.mustUnderstand)
    }
}

@Suite("HTTP-date parsing")
struct HTTPDateTests {
    @Test("The three forms of RFC 9110 §5.6.7 give the same instant")
    func forms() {
        let expected = HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(expected?.timeIntervalSince1970 == 784_111_777)
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT") == expected)
        #expect(HTTPDate.parse("Sun Nov  6 08:49:37 1994") == expected)
        #expect(HTTPDate.parse("sun, 06 nov 1994 08:49:37 gmt") == expected)
    }

    @Test("IMF-fixdates read at their fixed places agree with the other forms, every month and odd field")
    func fixdates() {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        for (index, month) in months.enumerated() {
            let day = String(format2: index * 2 + 1)
            let fixdate = HTTPDate.parse("Mon, \(day) \(month) 2031 23:59:60 GMT")
            #expect(fixdate != nil)
            #expect(fixdate == HTTPDate.parse("Mon \(month) \(day) 23:59:60 2031"))
        }
        for invalid in [
            "Mon, 32 Jan 2031 00:00:00 GMT", "Mon, 01 Jan 2031 24:00:00 GMT", "Xyz, 01 Jan 2031 00:00:00 GMT",
            "Mon, 01 Jan 2031 00:00:00 UTC", "Mon, 01 Jam 2031 00:00:00 GMT", "Mon, 0x Jan 2031 00:00:00 GMT",
            "Mon; 01 Jan 2031 00:00:00 GMT", "Mon, 01 Jan 2031 00-00:00 GMT",
        ] {
            #expect(HTTPDate.parse(invalid) == nil, "\(invalid)")
        }
    }

    @Test("A two-digit year more than 50 years ahead is taken from the century before")
    func twoDigitYears() {
        let now = HTTPDate.parse("Wed, 02 Dec 2026 00:00:00 GMT")!
        #expect(
            HTTPDate.parse("Thursday, 18-Aug-50 02:01:18 GMT", now: now)
                == HTTPDate.parse("Thu, 18 Aug 2050 02:01:18 GMT"))
        #expect(
            HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now)
                == HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"))
    }

    @Test(
        "Anything else is invalid",
        arguments: [
            "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49:37 AEST", "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT", "Sun,  06 Nov 1994 08:49:37 GMT", "Sun, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08.49.37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", "0", "", "-1",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ])
    func invalid(text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}

extension String {
    /// `value` as two digits, zero-padded.
    fileprivate init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
