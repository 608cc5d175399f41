import CourierCore
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test("Lookups ignore case; values of repeated fields are combined in order")
    func lookup() {
        var headers: HTTPHeaders = ["Accept": "text/plain", "X-Trace": "1"]
        headers.add("x-trace", "2")
        #expect(headers["ACCEPT"] == "text/plain")
        #expect(headers["X-TRACE"] == "1, 2")
        #expect(headers.values(for: "x-Trace") == ["1", "2"])
        #expect(headers["Missing"] == nil)
        #expect(headers.contains("accept"))
    }

    @Test("Token lists are matched per token, case-insensitively, across repeated fields")
    func tokens() {
        var headers: HTTPHeaders = ["Connection": "keep-alive, Close"]
        headers.add("Expect", "100-Continue")
        #expect(headers.containsToken("close", in: "connection"))
        #expect(headers.containsToken("KEEP-ALIVE", in: "Connection"))
        #expect(headers.containsToken("100-continue", in: "expect"))
        #expect(!headers.containsToken("clos", in: "Connection"))
        #expect(!headers.containsToken("close", in: "Expect"))
    }

    @Test("Setting replaces every field of that name in place; nil removes")
    func set() {
        var headers = HTTPHeaders([("A", "1"), ("B", "2"), ("a", "3")])
        headers["a"] = "new"
        #expect(headers.fields == [.init(name: "A", value: "new"), .init(name: "B", value: "2")])
        headers["b"] = nil
        #expect(headers.fields == [.init(name: "A", value: "new")])
        headers["C"] = "3"
        #expect(headers.map(\.name) == ["A", "C"])
    }

    @Test(
        "CR, LF, NUL and other controls in values are rejected with a message that names the header",
        arguments: ["a\rb", "a\nb", "a\u{0}b", "a\u{7F}b", "a\u{1B}b"])
    func invalidValue(value: String) {
        let headers: HTTPHeaders = ["X-Test": value]
        let error = #expect(throws: HTTPClientError.self) { try headers.validate() }
        #expect(error?.kind == .invalidRequest)
        #expect(error?.message.contains("X-Test") == true)
    }

    @Test("Tabs, spaces and obs-text are valid in values")
    func validValue() throws {
        let headers: HTTPHeaders = ["X-Test": "a\tb c é"]
        try headers.validate()
    }

    @Test("Names must be tokens", arguments: ["", "Bad Name", "Bad:Name", "Bad\rName", "Bäd", "(x)"])
    func invalidName(name: String) {
        let headers = HTTPHeaders([(name, "v")])
        let error = #expect(throws: HTTPClientError.self) { try headers.validate() }
        #expect(error?.kind == .invalidRequest)
    }
}

@Suite("ByteBuffer")
struct ByteBufferTests {
    @Test("Slices share storage, index from zero and compare by content")
    func slices() {
        let buffer = ByteBuffer(Array("hello, world".utf8))
        let world = buffer.slice(from: 7, count: 5)
        #expect(world.count == 5)
        #expect(world.startIndex == 0)
        #expect(world[0] == UInt8(ascii: "w"))
        #expect(String(decoding: world) == "world")
        #expect(world == ByteBuffer(string: "world"))
        #expect(world.array == Array("world".utf8))
        #expect([UInt8](world) == Array("world".utf8))
        #expect(world.withUnsafeBytes { $0.count } == 5)
    }
}

@Suite("List elements")
struct ListElementsTests {
    @Test("Elements are trimmed of spaces and tabs; empty ones are skipped unless asked for")
    func elements() {
        #expect(Array(ListElements(" a, b\t,,c ,")) == ["a", "b", "c"])
        #expect(Array(ListElements("a,, b,", omittingEmpty: false)) == ["a", "", "b", ""])
        #expect(Array(ListElements("")) == [])
        #expect(Array(ListElements("", omittingEmpty: false)) == [""])
    }

    @Test("Trimming works on bytes but keeps multi-byte characters whole")
    func nonASCII() {
        #expect(Array(ListElements(" é ,\tnaïve\t, 日本 ")) == ["é", "naïve", "日本"])
        #expect("\t Straße ".equalsIgnoringASCIICase("STRAßE") == false)
        #expect("\t Straße "[...].trimmingWhitespace().equalsIgnoringASCIICase("STRAße"))
    }
}
