import FoundationEssentials
import Testing

@testable import CourierCore

/// Runs the WHATWG URL data from `Tests/Conformance/url` (see its README) through what Courier
/// sends for a URL: the host, port and origin-form path of ``RequestTarget``.
///
/// Users hand Courier a Foundation `URL`, which parses by RFC 3986, not by the URL Standard; so
/// a row where Foundation reads the input differently (whitespace, backslashes, percent-encode
/// sets, `http:foo` without `//`) is sorted into a named Foundation difference, and every other
/// row must come out as the standard says. The host (IDNA, IPv4 numbers, IPv6 text, forbidden
/// code points), dot segments and the port are Courier's own work and must all agree.
@Suite("WHATWG URL data")
struct URLConformanceTests {
    static let rows: [URLTestRow] = URLTestRow.load("urltestdata.json")

    /// Rows the standard refuses that reach Courier as a valid URL, with the reason.
    static let refusalDeviations: [String: String] = [
        "http://％４１.com":
            "Foundation maps the full-width characters to `%41` itself: a valid escape when Courier reads it"
    ]

    @Test("The data is present and parsed")
    func corpus() {
        #expect(Self.rows.count > 800, "found \(Self.rows.count) rows")
    }

    @Test("Courier sends the host, port and path the standard gives, unless Foundation read the input otherwise")
    func acceptedURLs() {
        var agreed = 0
        var foundation: [String: Int] = [:]
        for row in Self.rows where !row.failure {
            guard let scheme = row.protocol, ["http:", "https:", "ws:", "wss:"].contains(scheme) else { continue }
            guard let url = row.url else {
                foundation["Foundation refuses the input", default: 0] += 1
                continue
            }
            let expected = row.expectedTarget
            guard let target = try? RequestTarget(url) else {
                if url.host(percentEncoded: true)?.isEmpty ?? true {
                    foundation["Foundation finds no host (`http:foo`, `///x`)", default: 0] += 1
                } else {
                    #expect(expected.port == 0, "refused \(row.input) (base \(row.base ?? "none"))")
                }
                continue
            }
            let actual = (host: target.host, port: target.port, path: target.path)
            if actual == expected {
                agreed += 1
            } else if let reason = row.foundationDifference(actual: actual, expected: expected) {
                foundation[reason, default: 0] += 1
            } else {
                Issue.record("\(row.input) (base \(row.base ?? "none")): sent \(actual), the standard says \(expected)")
            }
        }
        #expect(agreed >= 184, "agreed on \(agreed) URLs; Foundation differences: \(foundation)")
    }

    @Test("A URL the standard refuses is an invalid URL to Courier too")
    func refusedURLs() {
        var refused = 0
        for row in Self.rows where row.failure {
            guard let url = row.url, let scheme = url.scheme?.lowercased(),
                ["http", "https", "ws", "wss"].contains(scheme)
            else { continue }
            let accepted = (try? RequestTarget(url)) != nil
            if let reason = Self.refusalDeviations[row.input] {
                #expect(accepted, "deviation no longer needed? \(reason)")
            } else {
                #expect(!accepted, "accepted \(row.input) (base \(row.base ?? "none")) as \(url.absoluteString)")
                refused += 1
            }
        }
        #expect(refused >= 136, "refused \(refused)")
    }
}

extension URLConformanceTests {
    static let hosts: [ToASCIIRow] = {
        guard let data = try? Data(contentsOf: URLTestRow.directory.appendingPathComponent("toascii.json")),
            let entries = try? JSONDecoder().decode([Entry<ToASCIIRow>].self, from: data)
        else { return [] }
        return entries.compactMap(\.value)
    }()

    /// Hosts whose standard form needs what ``DomainToASCII`` leaves out, with the reason.
    static let hostDeviations: [String: String] = [
        "\u{64A}a": "the bidi rule (RFC 5893) needs Bidi_Class data, which the standard library lacks",
        "look\u{5BE}out.net": "the bidi rule (RFC 5893) needs Bidi_Class data, which the standard library lacks",
        "\u{646}\u{627}\u{645}\u{647}\u{200C}\u{627}\u{6CC}":
            "a non-joiner after a letter needs Joining_Type data; refused, the safe way to be wrong",
        "\u{646}\u{627}\u{645}\u{647}\u{200C}\u{627}\u{6CC}.com":
            "a non-joiner after a letter needs Joining_Type data; refused, the safe way to be wrong",
        "www\u{2025}lookout.net": "UTS #46's table maps U+2025 to two full stops; the subset keeps it",
        "www.lookout.net\u{2A74}80": "UTS #46's table maps U+2A74 to `::=`; the subset keeps it",
        "look\u{2FF0}out.net": "UTS #46's table refuses ideographic description characters; the subset does not",
    ]

    @Test("Each toascii.json host becomes the ASCII the standard gives, or is refused")
    func toASCII() {
        #expect(Self.hosts.count > 80, "found \(Self.hosts.count) hosts")
        for row in Self.hosts {
            let canonical = URLHost.canonical(row.input)
            if let reason = Self.hostDeviations[row.input] {
                #expect(canonical != row.output, "deviation no longer needed? \(reason)")
            } else {
                #expect(canonical == row.output, "\(row.input)")
            }
        }
    }
}

/// One row of `toascii.json`: a host and its ASCII form, nil when the standard refuses it.
struct ToASCIIRow: Decodable, Sendable {
    var input: String
    var output: String?
}

/// One row of `urltestdata.json`: a URL to parse against an optional base, and either the
/// parts the standard gives it or `failure`.
struct URLTestRow: Decodable, Sendable {
    var input: String
    var base: String?
    var failure: Bool
    var href: String?
    var `protocol`: String?
    var hostname: String?
    var port: String?
    var pathname: String?
    var search: String?

    private enum CodingKeys: String, CodingKey {
        case input, base, failure, href, `protocol`, hostname, port, pathname, search
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        input = try container.decode(String.self, forKey: .input)
        base = try container.decodeIfPresent(String.self, forKey: .base)
        failure = try container.decodeIfPresent(Bool.self, forKey: .failure) ?? false
        href = try container.decodeIfPresent(String.self, forKey: .href)
        `protocol` = try container.decodeIfPresent(String.self, forKey: .protocol)
        hostname = try container.decodeIfPresent(String.self, forKey: .hostname)
        port = try container.decodeIfPresent(String.self, forKey: .port)
        pathname = try container.decodeIfPresent(String.self, forKey: .pathname)
        search = try container.decodeIfPresent(String.self, forKey: .search)
    }

    /// The input as Foundation parses it against the base; nil when it does not.
    var url: URL? {
        guard let base else { return URL(string: input) }
        guard let baseURL = URL(string: base) else { return nil }
        return URL(string: input, relativeTo: baseURL)
    }

    /// Host (IPv6 without brackets), port and origin-form path the standard gives.
    var expectedTarget: (host: String, port: Int, path: String) {
        var host = hostname ?? ""
        if host.hasPrefix("[") { host = String(host.dropFirst().dropLast()) }
        let secure = `protocol` == "https:" || `protocol` == "wss:"
        let port = (port ?? "").isEmpty ? (secure ? 443 : 80) : Int(port!)!
        var path = (pathname ?? "") + (search ?? "")
        // `search` is empty for both no query and an empty one; the href tells them apart.
        let withoutFragment = href?.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
        if (search ?? "").isEmpty, withoutFragment?.hasSuffix("?") == true { path += "?" }
        return (host, port, path)
    }

    /// Why Foundation's reading explains a difference, or nil when nothing does.
    func foundationDifference(
        actual: (host: String, port: Int, path: String), expected: (host: String, port: Int, path: String)
    ) -> String? {
        let scalars = input.unicodeScalars
        if scalars.contains(where: { $0 == "\t" || $0 == "\n" || $0 == "\r" })
            || scalars.first.map({ $0.value <= 0x20 }) == true || scalars.last.map({ $0.value <= 0x20 }) == true
        {
            return "Foundation percent-encodes the tabs, newlines and edge spaces the standard strips"
        }
        if input.contains("\\") {
            return "Foundation reads a backslash as data, the standard as a slash"
        }
        guard actual.host == expected.host, actual.port == expected.port else { return nil }
        if Self.percentDecoded(actual.path) == Self.percentDecoded(expected.path) {
            return "Foundation percent-encodes other characters (the same octets once decoded)"
        }
        if actual.path == expected.path.split(separator: "%", omittingEmptySubsequences: false).joined(separator: "%25")
        {
            return "Foundation escapes every `%` of a URL that holds an invalid escape"
        }
        return nil
    }

    private static func percentDecoded(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                output.append(value)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Conformance/url")
    }

    /// The rows of `file`, comments (bare strings) skipped.
    static func load(_ file: String) -> [URLTestRow] {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent(file)),
            let entries = try? JSONDecoder().decode([Entry<URLTestRow>].self, from: data)
        else { return [] }
        return entries.compactMap(\.value)
    }
}

/// An element of a WPT data array: a test, or a string that comments on the ones after it.
enum Entry<Value: Decodable>: Decodable {
    case comment
    case test(Value)

    var value: Value? {
        if case .test(let value) = self { value } else { nil }
    }

    init(from decoder: any Decoder) throws {
        if (try? decoder.singleValueContainer().decode(String.self)) != nil {
            self = .comment
        } else {
            self = .test(try Value(from: decoder))
        }
    }
}
