import CourierCore
import Testing

@testable import CourierTransport

/// Regressions from `make fuzz` (see Fuzz/README.md): a limit's verdict must not depend on where
/// the reads that carry a head happen to end.
@Suite("HTTP/1.1 head parser limits")
struct HTTP1HeadParserTests {
    enum Outcome: Equatable {
        case head(used: Int)
        case needMore
        case failed(HTTPClientError.Kind)
    }

    /// Parses `text` fed in pieces of `step` bytes (the whole of it when nil).
    static func parse(_ text: String, limits: HTTP1Limits, step: Int? = nil) -> Outcome {
        let bytes = Array(text.utf8)
        var parser = HTTP1HeadParser(role: .response, limits: limits)
        var end = 0
        repeat {
            end = min(bytes.count, end + (step ?? bytes.count))
            var outcome = Outcome.needMore
            bytes[..<end].withUnsafeBytes { raw in
                do throws(HTTPClientError) {
                    if let (_, used) = try parser.parse(raw) { outcome = .head(used: used) }
                } catch {
                    outcome = .failed(error.kind)
                }
            }
            if outcome != .needMore { return outcome }
        } while end < bytes.count
        return .needMore
    }

    @Test("A start line over its limit fails even when the bytes so far end in CR (fuzz finding 1)")
    func startLineEndingInCR() {
        let limits = HTTP1Limits(maxStartLineBytes: 40)
        let text = "HTTP/1.1 200 " + String(repeating: "x", count: 30) + "\r"
        #expect(HTTP1HeadParserTests.parse(text, limits: limits) == .failed(.protocolViolation(.malformedStatusLine)))
        #expect(
            HTTP1HeadParserTests.parse(text, limits: limits, step: 1)
                == .failed(.protocolViolation(.malformedStatusLine)))
    }

    @Test("A head one or two bytes over maxHeadBytes fails however it is cut (fuzz finding 3)", arguments: [1, 2])
    func headLimitCountsTheFinalCRLF(over: Int) {
        let limits = HTTP1Limits(maxHeadBytes: 200)
        let prefix = "HTTP/1.1 200 OK\r\nX: "
        let text = prefix + String(repeating: "v", count: 200 + over - prefix.utf8.count - 4) + "\r\n\r\n"
        #expect(text.utf8.count == 200 + over)
        for step in [nil, 1, 7] as [Int?] {
            #expect(
                HTTP1HeadParserTests.parse(text, limits: limits, step: step)
                    == .failed(.protocolViolation(.headersTooLarge)))
        }
        let fits = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "v", count: 200 - prefix.utf8.count - 4) + "\r\n\r\n"
        #expect(HTTP1HeadParserTests.parse(fits, limits: limits, step: 1) == .head(used: 200))
    }
}
