import CourierCore
import CourierTransport
import Testing

@Suite("Certificate pinning rules")
struct CertificatePinnerTests {
    @Test(
        "Host patterns follow OkHttp's CertificatePinner",
        arguments: [
            ("example.com", "example.com", true),
            ("example.com", "www.example.com", false),
            ("*.example.com", "www.example.com", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", false),
            ("**.example.com", "example.com", true),
            ("**.example.com", "a.b.example.com", true),
            ("**.example.com", "notexample.com", false),
            ("*.example.com", "www.notexample.com", false),
        ]
    )
    func patterns(pattern: String, host: String, matches: Bool) {
        #expect(CertificatePinner.matches(pattern: pattern, host: host) == matches)
    }

    @Test("Pins from every matching pattern apply; one match in the chain is enough")
    func check() throws {
        let pinner = CertificatePinner(["*.example.com": ["sha256/a"], "www.example.com": ["sha256/b"]])
        #expect(pinner.pins(for: "WWW.example.com") == ["sha256/a", "sha256/b"])
        try pinner.check(host: "www.example.com", chainPins: ["sha256/x", "sha256/b"])
        try pinner.check(host: "unpinned.test", chainPins: ["sha256/x"])
        let error = #expect(throws: HTTPClientError.self) {
            try pinner.check(host: "api.example.com", chainPins: ["sha256/x"])
        }
        #expect(error?.kind == .tls(.pinMismatch))
        #expect(error?.message.contains("sha256/x") == true)
    }

    @Test("A Unicode pattern pins the A-label host a call connects to, wildcards too")
    func internationalisedPattern() {
        let pinner = CertificatePinner(["münchen.de": ["sha256/a"], "*.köln.de": ["sha256/b"]])
        #expect(pinner.pins(for: "xn--mnchen-3ya.de") == ["sha256/a"])
        #expect(pinner.pins(for: "www.xn--kln-sna.de") == ["sha256/b"])
    }

    @Test("An IP literal is pinned whatever its spelling: IPv6 forms, brackets and case")
    func addressSpellings() {
        let pinner = CertificatePinner(["::1": ["sha256/a"], "[FE80:0::A]": ["sha256/b"], "127.0.0.1": ["sha256/c"]])
        for host in ["::1", "0:0::1", "0:0:0:0:0:0:0:1", "[::1]"] {
            #expect(pinner.pins(for: host) == ["sha256/a"], "\(host)")
        }
        #expect(pinner.pins(for: "fe80::a") == ["sha256/b"])
        #expect(pinner.pins(for: "127.0.0.1") == ["sha256/c"])
        #expect(pinner.pins(for: "::2").isEmpty)
    }
}
