import FoundationEssentials
import Testing

@testable import CourierCore

@Suite("What a URL puts on the wire")
struct URLTargetTests {
    private func target(_ url: String) throws -> RequestTarget {
        try RequestTarget(URL(string: url)!)
    }

    @Test("RFC 3492's samples encode and decode")
    func punycodeSamples() {
        let samples: [(String, String)] = [
            ("bücher", "bcher-kva"),
            ("münchen", "mnchen-3ya"),
            ("\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}", "ihqwcrb4cv8a8dqg056pqjye"),
            ("3\u{5E74}B\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}", "3B-ww4c5e180e575a65lsy2b"),
        ]
        for (unicode, encoded) in samples {
            #expect(Punycode.encode(Array(unicode.unicodeScalars)) == encoded)
            #expect(Punycode.decode(encoded[...]).map { String(String.UnicodeScalarView($0)) } == unicode)
        }
        #expect(Punycode.decode("bcher-kv!"[...]) == nil)
        #expect(Punycode.decode("99999999999999999"[...]) == nil)
        // §6.2: a leading delimiter ends no basic code points; it is a bad digit.
        #expect(Punycode.decode("-ls8h"[...]) == nil)
        #expect(Punycode.decode("ls8h"[...]).map { String(String.UnicodeScalarView($0)) } == "\u{1F4A9}")
    }

    @Test("An internationalised name goes out in its A-label form, lower case")
    func internationalisedHost() throws {
        let munich = try target("https://MÜNCHEN.de/")
        #expect(munich.host == "xn--mnchen-3ya.de")
        #expect(munich.authority == "xn--mnchen-3ya.de")
        #expect(try target("http://faß.example/").host == "xn--fa-hia.example")
    }

    @Test("A short-form or hex IPv4 address is the dotted quad it names; a bad one is an invalid URL")
    func ipv4Host() throws {
        #expect(try target("http://127.1:8080/").authority == "127.0.0.1:8080")
        #expect(try target("http://0x7f.0.0.1/").host == "127.0.0.1")
        #expect(try target("http://2130706433/").host == "127.0.0.1")
        for bad in ["http://1.2.3.4.5/", "http://256.0.0.1/", "http://foo.09/"] {
            #expect(throws: HTTPClientError.self, "\(bad)") { try target(bad) }
        }
    }

    @Test("An IPv6 address goes out in RFC 5952's form, in brackets in the authority")
    func ipv6Host() throws {
        let target = try target("http://[0:0:0:0:0:0:0:1]:81/")
        #expect(target.host == "::1")
        #expect(target.authority == "[::1]:81")
        #expect(try self.target("http://[::127.0.0.1]/").host == "::7f00:1")
        #expect(try self.target("http://[2001:db8:0:0:1:0:0:1]/").host == "2001:db8::1:0:0:1")
    }

    @Test("An IPv6 address takes hex digits only, and a dotted quad only at its end")
    func strictIPv6() {
        for bad in ["[+0::+1]", "[::+127.0.0.1]", "[1.2.3.4::]", "[::1.+2.3.4]", "[-0::1]"] {
            #expect(URLHost.canonical(bad) == nil, "\(bad)")
        }
        #expect(URLHost.canonical("[::ffff:1.2.3.4]") == "::ffff:102:304")
    }

    @Test("Cherokee folds to its capital letters, as UTS #46 maps it")
    func cherokee() {
        #expect(URLHost.canonical("\u{13A0}.com") == "xn--58d.com")
        #expect(URLHost.canonical("\u{AB70}.com") == "xn--58d.com")
    }

    @Test("A label too long for any DNS name is refused before Punycode's quadratic work")
    func longLabel() {
        let scalars = (0..<20_000).map { Unicode.Scalar(0x4E00 + UInt32($0))! }
        let host = String(String.UnicodeScalarView(scalars)) + ".com"
        let started = ContinuousClock.now
        #expect(URLHost.canonical(host) == nil)
        #expect(Punycode.decode(Substring(String(repeating: "a", count: 5000))) == nil)
        #expect(ContinuousClock.now - started < .seconds(1))
    }

    @Test("A host with a forbidden code point, escaped or not, is an invalid URL")
    func forbiddenHost() {
        for bad in ["http://ho%00st/", "http://ho%2Fst/", "http://a%40b/", "https://%EF%BF%BD/"] {
            #expect(throws: HTTPClientError.self, "\(bad)") { try target(bad) }
        }
    }

    @Test("A port past Int's range is an invalid URL, never the scheme's default")
    func overflowingPort() throws {
        #expect(URL(string: "http://f:18446744073709551697/c")?.port == nil)
        #expect(throws: HTTPClientError.self) { try target("http://f:18446744073709551697/c") }
        #expect(try target("http://f:/c").port == 80)
    }

    @Test("Dot segments are resolved, %2e counting as a dot; a trailing one leaves the slash")
    func dotSegments() throws {
        #expect(try target("http://a/b/./c/../d?x=/../").path == "/b/d?x=/../")
        #expect(try target("http://a/b/%2e%2E/c").path == "/c")
        #expect(try target("http://a/b/..").path == "/")
        #expect(try target("http://a/b/c/.").path == "/b/c/")
        #expect(try target("http://a/../../x").path == "/x")
        #expect(try target("http://a/.b/..c/").path == "/.b/..c/")
    }

    @Test("A slash or a full stop followed by a combining mark still separates (found by the url-host fuzzer)")
    func separatorBeforeCombiningMark() {
        // "/" + U+09C0 is one Character: a split of the String would not see the slash.
        #expect(URLPath.removingDotSegments("/\u{9C0}x/../y").utf8.elementsEqual("/y".utf8))
        #expect(URLPath.removingDotSegments("/\u{9C0}\u{1C}x.m").utf8.elementsEqual("/\u{9C0}\u{1C}x.m".utf8))
        // "." + U+0301 starts a label with a combining mark, which UTS #46 refuses.
        #expect(URLHost.canonical("a.\u{301}b") == nil)
        #expect(URLHost.canonical("a.b\u{301}") == "a.xn--b-xbb")
    }

    @Test("no_proxy and cookies see the host the wire sees")
    func sameHostEverywhere() {
        let environment = ProxyEnvironment(["http_proxy": "p:1", "no_proxy": "127.0.0.0/8,xn--mnchen-3ya.de,köln.de"])
        #expect(environment.proxy(for: URL(string: "http://127.1/")!) == .direct)
        #expect(environment.proxy(for: URL(string: "http://münchen.de/")!) == .direct)
        #expect(environment.proxy(for: URL(string: "http://www.xn--kln-sna.de/")!) == .direct)
        #expect(CookieRules.canonicalHost(URL(string: "http://WWW.München.de./")!) == "www.xn--mnchen-3ya.de")
        let cookie = Cookie.parse("a=b; Domain=münchen.de", from: URL(string: "http://www.münchen.de/")!)
        #expect(cookie?.domain == "xn--mnchen-3ya.de")
        // The path the request goes to, dot segments resolved.
        let admin = Cookie.parse("s=1; Path=/admin", from: URL(string: "http://h/admin/x")!)!
        #expect(!admin.matches(URL(string: "http://h/admin/../public/x")!))
        #expect(admin.matches(URL(string: "http://h/public/../admin/x")!))
    }
}
