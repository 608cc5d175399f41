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

    /// An address keeps its fields in one box: addresses built apart are still equal field by
    /// field, and any one field that differs makes another address.
    @Test("Addresses are equal when every field is, however they were built")
    func address() {
        var pinned = TLSConfiguration()
        pinned.pins = ["example.test": ["sha256/AAAA"]]
        let proxy = Proxy.http(host: "proxy.test", port: 3128)
        func make(
            scheme: String = "https", host: String = "example.test", port: Int = 443,
            tls: TLSConfiguration? = TLSConfiguration(), protocols: [HTTPVersion] = [.http2, .http1_1],
            proxy: Proxy = .direct
        ) -> Address {
            Address(scheme: scheme, host: host, port: port, tls: tls, protocols: protocols, proxy: proxy)
        }
        let address = make()
        #expect(address == make() && address.hashValue == make().hashValue)
        #expect(address.through(.direct) == address)
        #expect(address.through(proxy) == make(proxy: proxy) && address.through(proxy).proxy == proxy)
        let others = [
            make(scheme: "wss"), make(host: "other.test"), make(port: 8443), make(tls: nil), make(tls: pinned),
            make(protocols: [.http1_1]), make(proxy: proxy),
        ]
        for other in others { #expect(other != address) }
        #expect(make().mayMultiplex && !make(protocols: [.http1_1]).mayMultiplex)
        #expect(make(scheme: "http", tls: nil, protocols: [.http2]).mayMultiplex)
        #expect(!make(scheme: "http", tls: nil).mayMultiplex)
    }
}
