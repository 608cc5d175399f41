import CourierCore
import FoundationEssentials
import Testing

@testable import CourierHTTP2

/// Content-Length both ways (RFC 9110 §8.6, RFC 9113 §8.1.1): a response's is one run of digits,
/// or a list of equal runs, and anything else makes it malformed; a request's is its body's.
@Suite("HTTP/2 fields: Content-Length")
struct HTTP2FieldsTests {
    private func contentLength(_ value: String) throws(HTTPClientError) -> Int? {
        let fields = HTTPHeaders([(":status", "200"), ("content-length", value)])
        return try HTTP2Fields.response(fields, stream: 1, peer: "example.com:443").contentLength
    }

    @Test(
        "A Content-Length of digits, or of a list of equal digit runs, is read",
        arguments: [
            ("0", 0), ("5", 5), ("0005", 5), ("5, 5", 5), ("5,5 ,5", 5),
            ("999999999999999999", 999_999_999_999_999_999),
        ])
    func validContentLength(value: String, expected: Int) throws {
        #expect(try contentLength(value) == expected)
    }

    @Test(
        "Any other Content-Length is a malformed response",
        arguments: ["", "5, 6", "+5", "-1", "0x5", "5 5", "5,", ",5", "1234567890123456789", "５"])
    func invalidContentLength(value: String) {
        #expect {
            _ = try contentLength(value)
        } throws: { error in
            (error as? HTTPClientError)?.kind == .protocolViolation(.invalidContentLength)
        }
    }

    @Test("A response without Content-Length has none, and its other fields stay in order")
    func noContentLength() throws {
        let head = try HTTP2Fields.response(
            HTTPHeaders([(":status", "204"), ("x-a", "1"), ("x-b", "2")]), stream: 1, peer: "example.com:443")
        #expect(head.contentLength == nil)
        #expect(head.head.status.code == 204)
        #expect(head.head.headers.fields.map(\.name) == ["x-a", "x-b"])
    }

    @Test(
        "A request's content-length is its body's length, whatever its field said",
        arguments: [
            ("bytes", "9", "5"), ("bytes", nil, "5"), ("stream", "5", nil), ("none", "7", "0"), ("none", "0", "0"),
            ("none", nil, nil),
        ] as [(String, String?, String?)])
    func requestContentLength(body: String, field: String?, sent: String?) throws {
        var request = HTTPRequest(method: .post, url: URL(string: "https://example.com/")!)
        if let field { request.headers["Content-Length"] = field }
        switch body {
        case "bytes": request.body = .bytes(Array("hello".utf8))
        case "stream": request.body = .stream(AsyncStream<[UInt8]> { $0.finish() }, length: nil)
        default: break
        }
        let fields = try HTTP2Fields.request(request, upgrade: nil)
        #expect(fields.values(for: "content-length") == (sent.map { [$0] } ?? []))
    }

    /// RFC 9113 §8.2.1: a malformed field makes the response malformed (a stream PROTOCOL_ERROR).
    @Test(
        "A field name that is no lowercase token, or a value with a control octet or edge whitespace, is malformed",
        arguments: [
            ("x-a b", "1"), ("x:y", "1"), ("x\u{7F}", "1"), ("ä", "1"), ("x-a", "a\r\nb: c"), ("x-a", "a\u{0}"),
            ("x-a", " v"), ("x-a", "v\t"), ("x-a", "a\u{1}b"),
        ])
    func malformedField(name: String, value: String) {
        #expect {
            _ = try HTTP2Fields.response(HTTPHeaders([(":status", "200"), (name, value)]), stream: 1, peer: "p")
        } throws: { error in
            (error as? HTTPClientError)?.kind == .protocolViolation(.malformedHeader)
        }
        #expect(throws: HTTPClientError.self) {
            _ = try HTTP2Fields.trailers(HTTPHeaders([(name, value)]), stream: 1, peer: "p")
        }
    }

    @Test("Tokens, obs-text, inner spaces and an empty value are well-formed")
    func wellFormedFields() throws {
        let fields = HTTPHeaders([(":status", "200"), ("x-a!#$%&'*+.^_`|~", "a b\tc"), ("x-b", ""), ("x-c", "é")])
        #expect(try HTTP2Fields.response(fields, stream: 1, peer: "p").head.headers.count == 3)
    }
}
