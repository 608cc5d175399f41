import CourierCore
import Testing

@testable import CourierTransport

/// What a client reads leniently because the RFCs tell it to: obs-fold in a response becomes a
/// space (RFC 9112 §5.2), while whitespace before the first field is still an error (§2.2); a
/// later minor version reads as HTTP/1.1 (RFC 9110 §2.5).
@Suite("HTTP/1.1 head parser: what a client reads leniently")
struct HTTP1LenientHeadTests {
    /// The head of `text`, fed whole and then a byte at a time (the two must agree).
    private func parse(_ text: String, role: HTTP1HeadParser.Role = .response) throws -> HTTP1Head {
        let bytes = Array(text.utf8)
        var heads: [HTTP1Head] = []
        for step in [bytes.count, 1] {
            var parser = HTTP1HeadParser(role: role)
            var end = 0
            var parsed: HTTP1Head?
            while parsed == nil && end < bytes.count {
                end = min(bytes.count, end + step)
                parsed = try bytes[..<end].withUnsafeBytes { raw in try parser.parse(raw)?.0 }
            }
            guard let parsed else { throw HTTPClientError(.protocolViolation(.malformedHeader), "incomplete") }
            heads.append(parsed)
        }
        #expect(heads[0] == heads[1])
        return heads[0]
    }

    @Test("Folded lines join their field's value with one space each")
    func folds() throws {
        let head = try parse(
            "HTTP/1.1 200 OK\r\nX-A: a\r\n  b\r\n\tc \r\nX-B:\r\n d\r\nX-C: e\r\n \r\nContent-Length: 0\r\n\r\n")
        #expect(
            head.headers.fields.map { "\($0.name)=\($0.value)" } == ["X-A=a b c", "X-B=d", "X-C=e", "Content-Length=0"])
    }

    @Test("A folded Content-Length is read as the one value it makes, which is then invalid")
    func foldedContentLength() throws {
        let head = try parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n 6\r\n\r\n")
        #expect(head.headers["Content-Length"] == "5 6")
        #expect {
            _ = try HTTP1Framing.response(to: .get, head: head)
        } throws: { error in
            (error as? HTTPClientError)?.kind == .protocolViolation(.invalidContentLength)
        }
    }

    @Test(
        "Whitespace before the first field, a control character in a fold, or a fold in a request are errors",
        arguments: [
            ("HTTP/1.1 200 OK\r\n X: a\r\n\r\n", HTTP1HeadParser.Role.response),
            ("HTTP/1.1 200 OK\r\nX: a\r\n b\u{1}\r\n\r\n", .response),
            ("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", .request),
        ])
    func rejected(text: String, role: HTTP1HeadParser.Role) {
        #expect {
            _ = try parse(text, role: role)
        } throws: { error in
            (error as? HTTPClientError)?.kind == .protocolViolation(.malformedHeader)
        }
    }

    @Test("HTTP/1.2 and later minor versions read as HTTP/1.1; HTTP/1.01 and HTTP/2.0 do not parse")
    func laterMinorVersions() throws {
        #expect(try parse("HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n").version == .http1_1)
        #expect(try parse("HTTP/1.9 200 OK\r\n\r\n").version == .http1_1)
        for text in ["HTTP/1.01 200 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.x 200 OK\r\n\r\n"] {
            #expect {
                _ = try parse(text)
            } throws: { error in
                (error as? HTTPClientError)?.kind == .protocolViolation(.malformedStatusLine)
            }
        }
    }
}
