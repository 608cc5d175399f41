import CourierCore
import FoundationEssentials
import Testing

@testable import CourierHTTP2

/// The hpack-test-case stories vendored in `Tests/Conformance/hpack` (see its README and
/// SUBSET.md): every encoder folder decodes, and `raw-data` round-trips through our encoder.
@Suite("HPACK: hpack-test-case conformance")
struct HPACKConformanceTests {
    static let encoderFolders = [
        "go-hpack", "haskell-http2-linear", "haskell-http2-naive", "haskell-http2-static-huffman", "nghttp2",
        "nghttp2-16384-4096", "nghttp2-change-table-size", "node-http2-hpack", "python-hpack",
        "swift-nio-hpack-huffman", "swift-nio-hpack-plain-text",
    ]

    @Test("The vendored folders are present", arguments: encoderFolders + ["raw-data"])
    func present(_ folder: String) {
        #expect(HPACKStory.load(folder).count == 10, "stories 00-09 of \(folder)")
    }

    /// One decoder per story, `header_table_size` applied as acknowledged SETTINGS before its
    /// case; every decoded list is also encoded by one encoder per story and decoded back.
    @Test("Every case of an encoder's stories decodes to its headers", arguments: encoderFolders)
    func decode(_ folder: String) throws {
        var cases = 0
        for story in HPACKStory.load(folder) {
            var decoder = HPACKDecoder()
            var encoder = HPACKEncoder(role: story.role)
            var roundTrip = HPACKDecoder()
            for testCase in story.cases {
                if let size = testCase.headerTableSize { decoder.setMaxTableSize(size) }
                let wire = try #require(
                    testCase.wire, "\(folder)/\(story.name) case \(testCase.seqno ?? -1) has a wire")
                let decoded = try decoder.decode(bytes(hex: wire))
                #expect(decoded == testCase.headers, "\(folder)/\(story.name) case \(testCase.seqno ?? -1)")
                #expect(try roundTrip.decode(encoder.encode(decoded)) == decoded, "\(folder)/\(story.name) re-encoded")
                cases += 1
            }
        }
        #expect(cases == 85, "\(folder): \(cases) cases")
    }

    /// Encodes every header list of `raw-data` stories 00-09 with one encoder per story and
    /// decodes it with our decoder. Also compares our block sizes with nghttp2's for the same
    /// lists (`nghttp2/` holds its encoding of `raw-data`). Measured: ours 6,269 octets for the 85
    /// lists, nghttp2's 5,541 (1.13×). The whole difference is `cookie`, which we always send
    /// never-indexed (28 cookies, 2,304 octets of values) and nghttp2 adds to the table when the
    /// value has 20 octets or more: with nghttp2's cookie rule our total was 5,541 octets too.
    /// Over all 32 stories (3,384 lists, checked once outside the tests): 363,119 octets against
    /// nghttp2's 360,319 (1.008×).
    @Test("raw-data round-trips through our encoder, at most 15 % larger than nghttp2's")
    func encode() throws {
        let nghttp2 = HPACKStory.load("nghttp2")
        var ours = 0
        var theirs = 0
        var cases = 0
        for (index, story) in HPACKStory.load("raw-data").enumerated() {
            var encoder = HPACKEncoder(role: story.role)
            var decoder = HPACKDecoder()
            for (number, testCase) in story.cases.enumerated() {
                let block = encoder.encode(testCase.headers)
                #expect(try decoder.decode(block) == testCase.headers, "raw-data/\(story.name) case \(number)")
                ours += block.count
                cases += 1
            }
            theirs += nghttp2[index].cases.reduce(0) { $0 + ($1.wire?.utf8.count ?? 0) / 2 }
        }
        print("HPACK raw-data 00-09: \(cases) header lists, ours \(ours) octets, nghttp2 \(theirs) octets")
        #expect(cases == 85)
        #expect(ours * 100 <= theirs * 115, "ours \(ours) octets, nghttp2 \(theirs)")
    }
}

/// One story file: header lists that share a compression context.
struct HPACKStory: Decodable {
    struct Case: Decodable {
        /// Absent in `raw-data`.
        let seqno: Int?
        let headerTableSize: Int?
        let wire: String?
        let headers: HTTPHeaders

        enum CodingKeys: String, CodingKey {
            case seqno, wire, headers
            case headerTableSize = "header_table_size"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            seqno = try container.decodeIfPresent(Int.self, forKey: .seqno)
            headerTableSize = try container.decodeIfPresent(Int.self, forKey: .headerTableSize)
            wire = try container.decodeIfPresent(String.self, forKey: .wire)
            // An ordered list of one-field objects.
            let fields = try container.decode([[String: String]].self, forKey: .headers)
            headers = HTTPHeaders(fields.flatMap { $0.map { ($0.key, $0.value) } })
        }
    }

    var name = ""
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case cases
    }

    /// Responses (`:status` first) are encoded in the server role.
    var role: HPACKEncoder.Role { cases.first?.headers.fields.first?.name == ":status" ? .server : .client }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Conformance/hpack")

    /// Stories 00-09 of a folder, in order; a story that is missing or does not parse is left out.
    static func load(_ folder: String) -> [HPACKStory] {
        (0..<10).compactMap { number in
            let name = "story_0\(number).json"
            let url = directory.appendingPathComponent(folder).appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url), var story = try? JSONDecoder().decode(Self.self, from: data)
            else { return nil }
            story.name = name
            return story
        }
    }
}
