import CourierCache
import CourierCore
import FoundationEssentials
import Testing

@Suite("Range requests answered from a stored complete response (RFC 9110 §14)")
struct RangeAnswerTests {
    /// A stored 200 of 11 bytes, with a strong ETag and a Last-Modified that its Date makes strong.
    let stored = Heads.head([
        "Cache-Control": "max-age=100", "Date": Heads.date(0), "ETag": "\"v1\"", "Last-Modified": Heads.date(-60),
    ])

    func answer(_ range: String, length: Int = 11, _ extra: HTTPHeaders = [:]) -> RangeAnswer {
        var headers = extra
        headers["Range"] = range
        return RangeAnswer(request: Heads.request(headers), stored: stored, bodySize: length)
    }

    @Test("first-last, first- and -suffix select their bytes, clamped to the body")
    func singleRanges() {
        #expect(answer("bytes=0-1") == .partial(0..<2))
        #expect(answer("bytes=1-") == .partial(1..<11))
        #expect(answer("bytes=-1") == .partial(10..<11))
        #expect(answer("bytes=5-100") == .partial(5..<11))
        #expect(answer("bytes=-100") == .partial(0..<11))
        #expect(answer("bytes=10-10") == .partial(10..<11))
        #expect(answer("BYTES=2-3") == .partial(2..<4))
        #expect(answer("bytes=0-99999999999999999999999") == .partial(0..<11))
    }

    @Test("A range starting at or past the end, a zero suffix or any range of an empty body is not satisfiable")
    func notSatisfiable() {
        #expect(answer("bytes=11-") == .notSatisfiable)
        #expect(answer("bytes=20-30") == .notSatisfiable)
        #expect(answer("bytes=-0") == .notSatisfiable)
        #expect(answer("bytes=0-", length: 0) == .notSatisfiable)
        #expect(answer("bytes=-5", length: 0) == .notSatisfiable)
        #expect(answer("bytes=20-, 30-40") == .notSatisfiable)
    }

    @Test("Ranges that overlap or touch are served as one; disjoint ones get the whole response")
    func severalRanges() {
        #expect(answer("bytes=0-1, 2-3") == .partial(0..<4))
        #expect(answer("bytes=4-6,0-5") == .partial(0..<7))
        #expect(answer("bytes=0-1,,20-30") == .partial(0..<2))
        #expect(answer("bytes=-2,9-") == .partial(9..<11))
        #expect(answer("bytes=0-1,5-6") == .whole)
    }

    @Test("Invalid syntax, another unit or two Range fields are ignored: the whole response")
    func ignored() {
        for value in [
            "bytes=3-1", "items=0-1", "bytes=a-b", "bytes=1", "bytes 0-1", "bytes=", "bytes=0-1,x", "bytes=+1-2",
        ] {
            #expect(answer(value) == .whole, "\(value)")
        }
        let twice = HTTPRequest(
            url: Heads.url, headers: HTTPHeaders([("Range", "bytes=0-1"), ("Range", "bytes=2-3")]))
        #expect(RangeAnswer(request: twice, stored: stored, bodySize: 11) == .whole)
        #expect(RangeAnswer(request: Heads.request(), stored: stored, bodySize: 11) == .whole)
    }

    @Test("Only a stored 200 is cut into ranges")
    func onlyOK() {
        let notFound = Heads.head(status: 404, ["Cache-Control": "max-age=100"])
        #expect(RangeAnswer(request: Heads.request(["Range": "bytes=0-1"]), stored: notFound, bodySize: 11) == .whole)
    }

    @Test("If-Range: a strongly matching ETag or a strong Last-Modified date honours the Range, anything else does not")
    func ifRange() {
        #expect(answer("bytes=0-1", ["If-Range": "\"v1\""]) == .partial(0..<2))
        #expect(answer("bytes=0-1", ["If-Range": "\"v2\""]) == .whole)
        #expect(answer("bytes=0-1", ["If-Range": "W/\"v1\""]) == .whole)
        #expect(answer("bytes=0-1", ["If-Range": Heads.date(-60)]) == .partial(0..<2))
        #expect(answer("bytes=0-1", ["If-Range": Heads.date(-59)]) == .whole)
        #expect(answer("bytes=0-1", ["If-Range": "yesterday"]) == .whole)
        // A weak stored ETag never matches; a Last-Modified as late as the Date is weak.
        let weak = Heads.head([
            "ETag": "W/\"v1\"", "Date": Heads.date(0), "Last-Modified": Heads.date(0),
        ])
        for validator in ["\"v1\"", "W/\"v1\"", Heads.date(0)] {
            let request = Heads.request(["Range": "bytes=0-1", "If-Range": validator])
            #expect(RangeAnswer(request: request, stored: weak, bodySize: 11) == .whole, "\(validator)")
        }
    }
}
