import CourierCache
import CourierCore
import FoundationEssentials
import Testing

@Suite("Freshness lifetime and age (RFC 9111 §4.2)")
struct FreshnessTests {
    @Test("max-age wins over Expires; s-maxage is ignored by a private cache")
    func maxAge() {
        let head = Heads.head([
            "Cache-Control": "max-age=100, s-maxage=9", "Date": Heads.date(0), "Expires": Heads.date(5000),
        ])
        #expect(Freshness.lifetime(head) == 100)
        #expect(Freshness.lifetime(Heads.head(["Cache-Control": "s-maxage=9"])) == 0)
    }

    @Test("What a head works out once follows its fields: Cache-Control, lifetime and age at arrival")
    func derivedFactsFollowTheFields() {
        var head = Heads.head(["Cache-Control": "max-age=100", "Date": Heads.date(0)])
        #expect(head.control.maxAge == 100 && head.lifetime == 100)
        head.headers["Cache-Control"] = "max-age=7, must-revalidate"
        #expect(head.control.maxAge == 7 && head.control.mustRevalidate && head.lifetime == 7)
        head.headers.add("Age", "30")
        #expect(head.initialAge >= 30)
        head.headers.remove("Cache-Control")
        head.status = HTTPStatus(code: 299)
        #expect(head.control == CacheControl() && head.lifetime == 0)
    }

    @Test("Expires counts from Date; an invalid or repeated Expires means already expired")
    func expires() {
        #expect(Freshness.lifetime(Heads.head(["Date": Heads.date(0), "Expires": Heads.date(300)])) == 300)
        #expect(Freshness.lifetime(Heads.head(["Date": Heads.date(0), "Expires": "0"])) == 0)
        var twice: HTTPHeaders = ["Date": Heads.date(0), "Expires": Heads.date(300)]
        twice.add("Expires", Heads.date(300))
        #expect(Freshness.lifetime(Heads.head(twice)) == 0)
        #expect(Freshness.lifetime(Heads.head(["Date": Heads.date(0), "Expires": Heads.date(-300)])) == 0)
    }

    @Test("Heuristic: 10 % of the Last-Modified age, only for heuristically cacheable codes or public")
    func heuristic() {
        let headers: HTTPHeaders = ["Date": Heads.date(0), "Last-Modified": Heads.date(-100_000)]
        #expect(Freshness.lifetime(Heads.head(headers)) == 10_000)
        #expect(Freshness.lifetime(Heads.head(status: 404, headers)) == 10_000)
        #expect(Freshness.lifetime(Heads.head(status: 302, headers)) == 0)
        #expect(Freshness.lifetime(Heads.head(status: 500, headers)) == 0)
        var publicHeaders = headers
        publicHeaders.add("Cache-Control", "public")
        #expect(Freshness.lifetime(Heads.head(status: 302, publicHeaders)) == 10_000)
    }

    @Test("current_age: corrected Age plus the request's delay plus the time resident")
    func age() {
        // Sent at t0, answered 2 s later with Age 10 and a Date 1 s before the response arrived.
        let head = Heads.head(["Date": Heads.date(1), "Age": "10"], delay: 2)
        #expect(Freshness.currentAge(head, now: Heads.t0 + 2) == 12)
        #expect(Freshness.currentAge(head, now: Heads.t0 + 32) == 42)
        // A Date far in the past makes apparent_age win.
        let old = Heads.head(["Date": Heads.date(-500)])
        #expect(Freshness.currentAge(old, now: Heads.t0) == 500)
    }

    @Test(
        "Age: the first element of the first field; non-numeric, negative and fractional values are ignored",
        arguments: [
            ("10", 10), ("0, 7200", 0), ("7200, 0", 7200), ("abc", 0), ("-10", 0), ("1.5", 0),
            ("2147483649", 2_147_483_648), ("2147483647", 2_147_483_647),
        ])
    func ageValue(value: String, expected: Int) {
        #expect(Freshness.ageValue(["Age": value]) == expected)
    }

    @Test("With two Age fields the first one counts")
    func twoAgeFields() {
        var headers: HTTPHeaders = ["Age": "7200"]
        headers.add("Age", "0")
        #expect(Freshness.ageValue(headers) == 7200)
    }
}
