import CourierCore
import FoundationEssentials
import Testing

/// `HTTPRequest` and `HTTPResponse` keep their fields in a shared copy-on-write box: a copy
/// must still behave as an independent value, whichever field changes.
@Suite("Requests and responses are values")
struct ValueSemanticsTests {
    private let url = URL(string: "https://example.test/a?b=1")!

    @Test("Changing a copy of a request leaves the original as it was")
    func request() throws {
        let original = HTTPRequest(url: url, headers: ["Accept": "text/plain"])
        var copy = original
        copy.method = .post
        copy.headers["Accept"] = "application/json"
        copy.body = .bytes(Array("x".utf8))
        copy.url = URL(string: "http://other.test:8080/c")!
        #expect(original.method == .get && copy.method == .post)
        #expect(original.headers["Accept"] == "text/plain" && copy.headers["Accept"] == "application/json")
        #expect(original.body == nil && copy.body != nil)
        #expect(try original.target.host == "example.test" && original.target.path == "/a?b=1")
        #expect(try copy.target.host == "other.test" && copy.target.port == 8080 && copy.target.path == "/c")
    }

    @Test("Changing a copy of a response leaves the original as it was, prior responses included")
    func response() {
        var original = HTTPResponse(status: .ok, headers: ["ETag": "\"1\""], request: HTTPRequest(url: url))
        original.cacheResponse = original
        var copy = original
        copy.status = .notFound
        copy.headers["ETag"] = "\"2\""
        copy.request.headers["X"] = "y"
        copy.version = .http2
        copy.cacheResponse = nil
        copy.priorResponse = original
        #expect(original.status == .ok && copy.status == .notFound)
        #expect(original.headers["ETag"] == "\"1\"" && copy.headers["ETag"] == "\"2\"")
        #expect(original.request.headers["X"] == nil && copy.request.headers["X"] == "y")
        #expect(original.version == .http1_1 && copy.version == .http2)
        #expect(original.cacheResponse?.status == .ok && copy.cacheResponse == nil)
        #expect(original.priorResponse == nil && copy.priorResponse?.headers["ETag"] == "\"1\"")
    }
}
