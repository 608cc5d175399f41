import CourierCore
import FoundationEssentials
import Testing

@testable import CourierTransport

/// Runs the llhttp response-parsing vectors from `Tests/Conformance/llhttp-response` (see its
/// README) through our head parser, framing rules and body decoder, fed whole and split at
/// every byte. Strict-mode vectors only; leniency modes describe what llhttp tolerates on request.
@Suite("llhttp response vectors")
struct LLHTTPConformanceTests {
    /// Vectors where Courier deliberately differs from llhttp, with the reason.
    static let deviations: [String: String] = [
        "RTSP response": "an HTTP client accepts only HTTP/1.x status lines",
        "ICE response": "an HTTP client accepts only HTTP/1.x status lines",
        "HTTP version 0.9": "HTTP/0.9 has no status line, so one that claims 0.9 is bogus",
    ]

    static let vectors: [LLHTTPVector] = LLHTTPVector.load()

    @Test("The vector folder is present and parsed")
    func corpus() {
        #expect(
            LLHTTPConformanceTests.vectors.count >= 50, "found \(LLHTTPConformanceTests.vectors.count) strict vectors")
    }

    @Test("Each strict vector is accepted or rejected as llhttp does", arguments: vectors)
    func vector(_ vector: LLHTTPVector) {
        if let reason = LLHTTPConformanceTests.deviations[vector.name] {
            let outcome = LLHTTPRun(vector.input, method: vector.method, finish: vector.finish)
            #expect(outcome.failed, "deviation no longer needed? \(reason)")
            return
        }
        let whole = LLHTTPRun(vector.input, method: vector.method, finish: vector.finish)
        check(whole, against: vector, feeding: "whole")
        for split in 1..<vector.input.count {
            let pieces = LLHTTPRun(
                [vector.input[..<split].map { $0 }, vector.input[split...].map { $0 }], method: vector.method,
                finish: vector.finish)
            check(pieces, against: vector, feeding: "split at \(split)")
        }
    }

    private func check(_ run: LLHTTPRun, against vector: LLHTTPVector, feeding: String) {
        if vector.expectsError {
            #expect(run.failed, "\(vector.name) (\(feeding)): expected an error, parsed \(run.messages)")
            return
        }
        #expect(!run.failed, "\(vector.name) (\(feeding)): unexpected error \(String(describing: run.error))")
        #expect(run.messages.map(\.status) == vector.statuses, "\(vector.name) (\(feeding)) statuses")
        #expect(run.messages.map(\.headers) == vector.headers, "\(vector.name) (\(feeding)) headers")
        #expect(run.completed == vector.completedCount, "\(vector.name) (\(feeding)) completed messages")
        #expect(run.messages.map(\.body) == vector.bodies, "\(vector.name) (\(feeding)) bodies")
    }
}

/// One parsed message of a run.
struct ParsedMessage: CustomStringConvertible {
    var status: Int
    var headers: [[String]]
    var body: [UInt8] = []
    var description: String { "\(status) \(headers) \(body.count) bytes" }
}

/// Feeds input pieces through the client's parsing path as a connection would.
struct LLHTTPRun {
    var messages: [ParsedMessage] = []
    var completed = 0
    var error: (any Error)?
    var failed: Bool { error != nil }
    private var closesConnection = false

    struct DataAfterClose: Error {}

    init(_ input: [UInt8], method: HTTPMethod, finish: Bool) {
        self.init([input], method: method, finish: finish)
    }

    init(_ pieces: [[UInt8]], method: HTTPMethod, finish: Bool) {
        var buffer = ReceiveBuffer()
        var parser: HTTP1HeadParser? = HTTP1HeadParser(role: .response)
        var decoder: HTTP1BodyDecoder?
        do {
            for piece in pieces {
                buffer.append(piece)
                try drain(&buffer, &parser, &decoder, method: method)
            }
            if finish, var current = decoder {
                try current.endOfStream()
            }
        } catch {
            self.error = error
        }
    }

    private mutating func drain(
        _ buffer: inout ReceiveBuffer, _ parser: inout HTTP1HeadParser?, _ decoder: inout HTTP1BodyDecoder?,
        method: HTTPMethod
    ) throws {
        while true {
            if var current = decoder {
                let event = try current.next(&buffer)
                decoder = current
                switch event {
                case .data(let chunk):
                    messages[messages.count - 1].body += chunk
                    continue
                case .needMore:
                    return
                case .end:
                    completed += 1
                    decoder = nil
                    parser = closesConnection ? nil : HTTP1HeadParser(role: .response)
                }
            }
            guard buffer.readableCount > 0 else { return }
            // A client stops reading after a response that closes the connection.
            guard var headParser = parser else { throw DataAfterClose() }
            let parsed = try buffer.withReadableBytes { (bytes) throws(HTTPClientError) in try headParser.parse(bytes) }
            parser = headParser
            guard let (head, used) = parsed else { return }
            buffer.skip(used)
            guard case .status(let status) = head.startLine else { return }
            messages.append(ParsedMessage(status: status.code, headers: head.headers.map { [$0.name, $0.value] }))
            closesConnection = !head.keepAlive
            decoder = HTTP1BodyDecoder(framing: try HTTP1Framing.response(to: method, head: head))
        }
    }
}

/// A strict-mode test block from an llhttp markdown file.
struct LLHTTPVector: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let expectsError: Bool
    let statuses: [Int]
    let headers: [[[String]]]
    let bodies: [[UInt8]]
    let completedCount: Int
    let method: HTTPMethod
    let finish: Bool

    var testDescription: String { name }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Conformance/llhttp-response")
    }

    static func load() -> [LLHTTPVector] {
        let files = [
            "sample", "invalid", "connection", "content-length", "transfer-encoding", "pipelining", "pausing", "finish",
        ]
        return files.flatMap { file -> [LLHTTPVector] in
            guard let data = try? Data(contentsOf: directory.appendingPathComponent("\(file).md")) else { return [] }
            return parse(String(decoding: data, as: UTF8.self))
        }
    }

    private static func parse(_ text: String) -> [LLHTTPVector] {
        var vectors: [LLHTTPVector] = []
        var name = ""
        var meta = ""
        var block: [String]?
        var blockKind = ""
        var input: [UInt8]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if var lines = block {
                if line == "```" {
                    block = nil
                    if blockKind == "http" {
                        input = normalise(lines.joined(separator: "\n"))
                    } else if blockKind == "log", let bytes = input {
                        if let vector = make(name: name, meta: meta, input: bytes, log: lines) {
                            vectors.append(vector)
                        }
                        input = nil
                    }
                } else {
                    lines.append(line)
                    block = lines
                }
                continue
            }
            if line.hasPrefix("## ") || line.hasPrefix("### ") {
                name = String(line.drop { $0 == "#" }.dropFirst())
                meta = ""
            } else if line.hasPrefix("<!-- meta=") {
                meta = line
            } else if line == "```http" || line == "```log" {
                block = []
                blockKind = String(line.dropFirst(3))
            }
        }
        return vectors
    }

    private static func make(name: String, meta: String, input: [UInt8], log: [String]) -> LLHTTPVector? {
        let compact = meta.replacing(" ", with: "")
        let isStrict = compact.contains("\"type\":\"response\"")
        let finish = compact.contains("\"type\":\"response-finish\"")
        guard isStrict || finish else { return nil }
        var statuses: [Int] = []
        var headers: [[[String]]] = []
        var bodies: [[UInt8]] = []
        var completed = 0
        var lastSpan = ""
        for line in log {
            if line.contains("message begin") {
                headers.append([])
                bodies.append([])
            } else if let range = line.firstRange(of: "headers complete status=") {
                statuses.append(Int(line[range.upperBound...].prefix { $0.isNumber })!)
            } else if line.contains("message complete") {
                completed += 1
            } else if let span = spanValue(line, kind: "header_field").map({
                String(decoding: unescape($0), as: UTF8.self)
            }) {
                if lastSpan == "header_field" {
                    headers[headers.count - 1][headers[headers.count - 1].count - 1][0] += span
                } else {
                    headers[headers.count - 1].append([span, ""])
                }
                lastSpan = "header_field"
                continue
            } else if let span = spanValue(line, kind: "header_value").map({
                String(decoding: unescape($0), as: UTF8.self)
            }) {
                headers[headers.count - 1][headers[headers.count - 1].count - 1][1] += span
                lastSpan = "header_value"
                continue
            } else if let span = spanValue(line, kind: "body") {
                bodies[bodies.count - 1] += unescape(span)
            }
            lastSpan = ""
        }
        let expectsError = log.contains { $0.contains("error code=") }
        // Messages whose head never completed do not count as parsed messages.
        headers = Array(headers.prefix(statuses.count))
        bodies = Array(bodies.prefix(statuses.count))
        let method: HTTPMethod = compact.contains("\"skipBody\":true") ? .head : .get
        return LLHTTPVector(
            name: name, input: input, expectsError: expectsError, statuses: statuses,
            headers: headers.map { $0.map { [$0[0], String(Substring($0[1]).trimmingWhitespace())] } },
            bodies: bodies, completedCount: completed, method: method, finish: finish
        )
    }

    /// A span's text: quoted, or the words `cr` / `lf` the harness writes for a lone CR or LF.
    private static func spanValue(_ line: String, kind: String) -> String? {
        guard let range = line.firstRange(of: "span[\(kind)]=") else { return nil }
        let value = line[range.upperBound...]
        switch value {
        case "cr": return "\\r"
        case "lf": return "\\n"
        default: return String(value.dropFirst().dropLast())
        }
    }

    private static func unescape(_ text: String) -> [UInt8] {
        normalise(text, convertNewlines: false)
    }

    /// The upstream harness's normalisation (see the README).
    private static func normalise(_ text: String, convertNewlines: Bool = true) -> [UInt8] {
        var source = text
        if convertNewlines {
            source = source.replacing("\\\n", with: "").replacing("\n", with: "\r\n")
        }
        var bytes: [UInt8] = []
        let scalars = Array(source.utf8)
        var index = 0
        while index < scalars.count {
            let byte = scalars[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < scalars.count else {
                bytes.append(byte)
                index += 1
                continue
            }
            let next = scalars[index + 1]
            switch next {
            case UInt8(ascii: "r"): bytes.append(0x0D); index += 2
            case UInt8(ascii: "n"): bytes.append(0x0A); index += 2
            case UInt8(ascii: "t"): bytes.append(0x09); index += 2
            case UInt8(ascii: "f"): bytes.append(0x0C); index += 2
            case UInt8(ascii: "x"):
                let hex = String(decoding: scalars[(index + 2)..<min(index + 4, scalars.count)], as: UTF8.self)
                bytes.append(UInt8(hex, radix: 16) ?? 0)
                index += 4
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var end = index + 1
                while end < min(index + 4, scalars.count),
                    (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(scalars[end])
                { end += 1 }
                bytes.append(UInt8(String(decoding: scalars[(index + 1)..<end], as: UTF8.self), radix: 8) ?? 0)
                index = end
            default:
                bytes.append(byte)
                index += 1
            }
        }
        return bytes
    }
}
