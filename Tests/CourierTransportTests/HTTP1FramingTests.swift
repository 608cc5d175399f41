import CourierCore
import FoundationEssentials
import Testing

@testable import CourierTransport

@Suite("HTTP/1.1 response framing")
struct HTTP1FramingTests {
    private func framing(_ fields: [(String, String)]) throws(HTTPClientError) -> HTTP1Framing {
        let head = HTTP1Head(startLine: .status(.ok), version: .http1_1, headers: HTTPHeaders(fields))
        return try HTTP1Framing.response(to: .get, head: head)
    }

    @Test("An HTTP/1.0 message with Transfer-Encoding never keeps its connection (RFC 9112 §6.1)")
    func http10TransferEncoding() {
        let keepAlive = ("Connection", "keep-alive")
        func head(_ version: HTTPVersion, _ fields: [(String, String)]) -> HTTP1Head {
            HTTP1Head(startLine: .status(.ok), version: version, headers: HTTPHeaders(fields))
        }
        #expect(head(.http1_0, [keepAlive]).keepAlive)
        #expect(!head(.http1_0, [keepAlive, ("Transfer-Encoding", "chunked")]).keepAlive)
        #expect(head(.http1_1, [("Transfer-Encoding", "chunked")]).keepAlive)
        // RFC 9112 §9.3: `close` is looked at first, in any version.
        #expect(!head(.http1_0, [("Connection", "keep-alive, close")]).keepAlive)
        #expect(!head(.http1_0, [keepAlive, ("Connection", "close")]).keepAlive)
    }

    /// What the codec writes is what the body is, whatever the fields said (a network
    /// interceptor may replace the body after the bridge set them).
    @Test(
        "A request's framing fields are rewritten to match the body it sends",
        arguments: [
            // (body, fields before, Content-Length after, Transfer-Encoding after)
            ("bytes", [("Content-Length", "5")], "5", nil),
            ("bytes", [("Content-Length", "9")], "5", nil),
            ("bytes", [("Transfer-Encoding", "chunked")], "5", nil),
            ("stream", [("Content-Length", "5")], nil, "chunked"),
            ("stream", [("Transfer-Encoding", "chunked")], nil, "chunked"),
            ("stream", [("Transfer-Encoding", "gzip")], nil, "chunked"),
            ("none", [], nil, nil),
            ("none", [("Content-Length", "0")], "0", nil),
            ("none", [("Content-Length", "7")], "0", nil),
            ("none", [("Transfer-Encoding", "chunked")], nil, nil),
        ] as [(String, [(String, String)], String?, String?)])
    func requestFraming(body: String, fields: [(String, String)], contentLength: String?, transferEncoding: String?) {
        var request = HTTPRequest(method: .post, url: URL(string: "http://example.com/")!)
        request.headers = HTTPHeaders(fields + [("X-Other", "kept")])
        switch body {
        case "bytes": request.body = .bytes(Array("hello".utf8))
        case "stream": request.body = .stream(AsyncStream<[UInt8]> { $0.finish() }, length: nil)
        default: request.body = nil
        }
        let framed = HTTP1Codec.framed(request)
        #expect(framed["Content-Length"] == contentLength)
        #expect(framed["Transfer-Encoding"] == transferEncoding)
        #expect(framed.values(for: "Content-Length").count <= 1)
        #expect(framed["X-Other"] == "kept")
    }

    @Test("Chunked is recognised in any case, across repeated fields, with empty list elements ignored")
    func chunked() throws {
        #expect(try framing([("Transfer-Encoding", "chunked")]) == .chunked)
        #expect(try framing([("transfer-encoding", " Chunked ")]) == .chunked)
        // RFC 9110 §5.6.1: recipients accept and ignore empty list elements.
        #expect(try framing([("Transfer-Encoding", "chunked, ")]) == .chunked)
        #expect(try framing([("Transfer-Encoding", ""), ("Transfer-Encoding", "chunked")]) == .chunked)
    }

    @Test(
        "A response whose final coding is not chunked runs until close (RFC 9112 §6.3)",
        arguments: [["gzip"], ["chunked, gzip"], ["chunked", "identity"], ["chunkedchunked"]]
    )
    func untilClose(values: [String]) throws {
        #expect(try framing(values.map { ("Transfer-Encoding", $0) }) == .untilClose)
    }

    @Test("Chunked as the final coding frames the body, whatever codings come before it")
    func chunkedLast() throws {
        #expect(try framing([("Transfer-Encoding", "gzip, chunked")]) == .chunked)
        #expect(try framing([("Transfer-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]) == .chunked)
    }

    @Test("Chunked applied twice, or a field naming no coding, is refused", arguments: [["chunked, chunked"], [" , "]])
    func refusedCodings(values: [String]) {
        let error = #expect(throws: HTTPClientError.self) {
            try framing(values.map { ("Transfer-Encoding", $0) })
        }
        #expect(error?.kind == .protocolViolation(.unsupportedTransferEncoding))
    }

    @Test("A request whose final coding is not chunked has no reliable length and is refused")
    func requestWithoutChunkedLast() {
        let head = HTTP1Head(
            startLine: .request(method: .post, target: "/"), version: .http1_1, headers: ["Transfer-Encoding": "gzip"])
        let error = #expect(throws: HTTPClientError.self) { try HTTP1Framing.request(head) }
        #expect(error?.kind == .protocolViolation(.unsupportedTransferEncoding))
    }

    @Test("Content-Length: repeated equal values agree; whitespace around a value is optional")
    func contentLength() throws {
        #expect(try framing([("Content-Length", "13")]) == .contentLength(13))
        #expect(try framing([("Content-Length", " 7 ")]) == .contentLength(7))
        #expect(try framing([("Content-Length", "5, 5"), ("content-length", "5")]) == .contentLength(5))
        #expect(try framing([]) == .untilClose)
    }

    @Test(
        "Content-Length that is empty, signed, not a number or in conflict is refused",
        arguments: ["", "5,", "-1", "+5", "0x10", "5, 6", "1 2", "٣"]
    )
    func invalidContentLength(value: String) {
        let error = #expect(throws: HTTPClientError.self) { try framing([("Content-Length", value)]) }
        #expect(error?.kind == .protocolViolation(.invalidContentLength))
    }

    @Test("Both Transfer-Encoding and Content-Length is refused as smuggling")
    func conflicting() {
        let error = #expect(throws: HTTPClientError.self) {
            try framing([("Content-Length", "3"), ("Transfer-Encoding", "chunked")])
        }
        #expect(error?.kind == .protocolViolation(.conflictingFraming))
    }
}
