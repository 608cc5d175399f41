import Courier

/// http-tests/cache-tests as evaluated JSON (Tests/Conformance/cache-tests, see its README): the
/// suites, their tests, and each test's requests with what the client sends, what the origin
/// answers and what is expected.
struct CacheTestSuite: Decodable, Sendable {
    let id: String
    let name: String
    let tests: [CacheTest]

    static func load() throws -> [CacheTestSuite] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Conformance/cache-tests/cache-tests.json")
        return try JSONDecoder().decode([CacheTestSuite].self, from: Data(contentsOf: url))
    }
}

struct CacheTest: Decodable, Sendable {
    enum Kind: String, Decodable, Sendable {
        case required, optimal, check
    }

    let id: String
    let name: String
    let kind: Kind
    let requests: [CacheTestRequest]
    let dependsOn: [String]
    let browserOnly: Bool
    let cdnOnly: Bool

    enum CodingKeys: String, CodingKey {
        case id, name, kind, requests
        case dependsOn = "depends_on"
        case browserOnly = "browser_only"
        case cdnOnly = "cdn_only"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decodeIfPresent(Kind.self, forKey: .kind) ?? .required
        requests = try container.decode([CacheTestRequest].self, forKey: .requests)
        dependsOn = try container.decodeIfPresent([String].self, forKey: .dependsOn) ?? []
        browserOnly = try container.decodeIfPresent(Bool.self, forKey: .browserOnly) ?? false
        cdnOnly = try container.decodeIfPresent(Bool.self, forKey: .cdnOnly) ?? false
    }
}

/// One request of a test. Header lists hold `[name, value]` (a number as value is a magic date:
/// the origin's "now" plus that many seconds) and, for the origin's response headers, an optional
/// third element `false` that skips the check on the client.
struct CacheTestRequest: Decodable, Sendable {
    let raw: [String: JSONValue]

    init(from decoder: any Decoder) throws {
        raw = try [String: JSONValue](from: decoder)
    }

    func string(_ key: String) -> String? { raw[key]?.string }
    func flag(_ key: String) -> Bool { raw[key]?.bool ?? false }
    func list(_ key: String) -> [JSONValue]? { raw[key]?.array }
    func has(_ key: String) -> Bool { raw[key] != nil }

    var method: HTTPMethod { HTTPMethod(rawValue: string("request_method") ?? "GET") }
    var requestHeaders: [[JSONValue]] { (list("request_headers") ?? []).compactMap(\.array) }
    var responseHeaders: [[JSONValue]] { (list("response_headers") ?? []).compactMap(\.array) }
    var expectedType: String? { string("expected_type") }
    var isSetup: Bool { flag("setup") }
    var setupTests: [String] { (list("setup_tests") ?? []).compactMap(\.string) }
}

/// Any JSON value: the suite mixes strings, numbers and booleans in one array.
enum JSONValue: Decodable, Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var array: [JSONValue]? { if case .array(let value) = self { value } else { nil } }

    /// The value as a header value, with numbers written as integers.
    var text: String {
        switch self {
        case .string(let value): value
        case .number(let value): value == value.rounded() ? String(Int(value)) : String(value)
        case .bool(let value): String(value)
        default: ""
        }
    }
}
