import Courier
import CourierTestServer
import Testing

/// The http-state parser tests (Tests/Conformance/cookies, see its README), run over loopback the
/// way the upstream harness runs them: GET /cookie-parser?NAME answers 302 with the test's
/// headers, the client follows with its jar, and /cookie-parser-result shows the Cookie header.
@Suite("http-state cookie tests")
struct CookieConformanceTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Conformance/cookies")

    static let names: [String] = {
        let listing =
            (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("parser").path))
            ?? []
        return listing.filter { $0.hasSuffix("-test") }.map { String($0.dropLast(5)) }.sorted()
    }()

    /// Where Courier knowingly differs from the expected header, and why.
    static let deviations: [String: String] = [
        "0002": "its Expires (2019) was in the future when the suite was written; the cookie has expired since",
        "comma0006": "its Expires (2019) was in the future when the suite was written; the cookie has expired since",
        "comma0007": "its Expires (2019) was in the future when the suite was written; the cookie has expired since",
        "0028": "the upstream expectation file is malformed (it holds Set-Cookie lines, not a Cookie header)",
    ]

    @Test("The suite is present")
    func corpus() {
        #expect(CookieConformanceTests.names.count >= 200, "found \(CookieConformanceTests.names.count) tests")
    }

    @Test("Each test sends the expected Cookie header", arguments: names.filter { !$0.hasPrefix("disabled-") })
    func parser(name: String) async throws {
        let test = try String(
            decoding: Data(contentsOf: CookieConformanceTests.directory.appendingPathComponent("parser/\(name)-test")),
            as: UTF8.self)
        let expectedFile = try String(
            decoding: Data(
                contentsOf: CookieConformanceTests.directory.appendingPathComponent("parser/\(name)-expected")),
            as: UTF8.self
        )
        let expected =
            expectedFile.split(whereSeparator: \.isNewline).first.map { String($0.dropFirst("Cookie: ".count)) } ?? ""
        let actual = try await withTimeout { try await CookieConformanceTests.run(name: name, test: test) }
        if let reason = CookieConformanceTests.deviations[name] {
            #expect(actual != expected, "deviation no longer needed: \(reason)")
        } else {
            #expect(
                actual == expected, "\(name): got \(actual.debugDescription), expected \(expected.debugDescription)")
        }
    }

    /// Runs one test and returns the Cookie header the client sent to the result page.
    static func run(name: String, test: String) async throws -> String {
        let server = try await TestServer { request in
            if request.path == "/cookie-parser" {
                var headers = HTTPHeaders()
                var hasLocation = false
                for line in test.split(whereSeparator: \.isNewline) {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let field = String(line[..<colon])
                    let value = String(line[line.index(after: colon)...].drop { $0 == " " })
                    hasLocation = hasLocation || field.lowercased() == "location"
                    headers.add(field, value)
                }
                if !hasLocation { headers.add("Location", "/cookie-parser-result?\(name)") }
                return MockResponse(status: HTTPStatus(code: 302), headers: headers)
            }
            return MockResponse(body: request.headers["Cookie"] ?? "")
        }
        let port = server.port
        // The suite's absolute Locations name port 8888; every host of the suite is this server.
        let rewrite = RewritePort(from: 8888, to: port)
        let client = HTTPClient().with {
            $0.cookieJar = InMemoryCookieJar()
            $0.dnsResolver = ScriptedResolver { _, _ in [ResolvedAddress(ip: "127.0.0.1", port: port)] }
            $0.interceptors = [rewrite]
        }
        let url = URL(string: "http://home.example.org:\(port)/cookie-parser?\(name)")!
        let body = try await client.send(HTTPRequest(url: url)).body.string()
        await server.shutdown()
        return body
    }
}

/// Points requests for port `from` at port `to`, so the suite's fixed port reaches the test server.
struct RewritePort: Interceptor {
    let from: Int
    let to: Int

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        var request = request
        if request.url.port == from {
            var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)!
            components.port = to
            request.url = components.url!
        }
        return try await chain.proceed(request)
    }
}

@Suite("Cookie dates and rules")
struct CookieDateTests {
    struct Example: Decodable, Sendable {
        let test: String
        let expected: String?
    }

    static func examples(_ file: String) -> [Example] {
        let url = CookieConformanceTests.directory.appendingPathComponent("dates/\(file)")
        guard let data = try? Data(contentsOf: url) else { return [] }
        let json = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).filter {
            !$0.trimmingPrefix(while: \.isWhitespace).hasPrefix("//")
        }
        .joined(separator: "\n")
        return (try? JSONDecoder().decode([Example].self, from: Data(json.utf8))) ?? []
    }

    @Test("The cookie-date algorithm matches the http-state date vectors")
    func dates() {
        let cases = CookieDateTests.examples("examples.json") + CookieDateTests.examples("bsd-examples.json")
        #expect(cases.count >= 60)
        for example in cases {
            #expect(
                CookieDate.parse(example.test).map(CookieDate.format) == example.expected,
                "\(example.test.debugDescription)")
        }
    }

    @Test("Public suffixes cannot be cookie domains, except as the request's own host")
    func publicSuffix() {
        let url = URL(string: "http://www.example.co.uk/")!
        #expect(Cookie.parse("a=1; Domain=co.uk", from: url) == nil)
        #expect(Cookie.parse("a=1; Domain=uk", from: url) == nil)
        #expect(Cookie.parse("a=1; Domain=example.co.uk", from: url)?.domain == "example.co.uk")
        #expect(Cookie.parse("a=1; Domain=github.io", from: URL(string: "http://x.github.io/")!) == nil)
        let own = Cookie.parse("a=1; Domain=github.io", from: URL(string: "http://github.io/")!)
        #expect(own?.hostOnly == true)
        #expect(Cookie.parse("a=1; Domain=other.example", from: url) == nil, "a domain the host is not in")
        // Rules written in Unicode (公司.cn) hold for the ASCII form hosts arrive in.
        let idn = URL(string: "https://shop.xn--55qx5d.cn/")!
        #expect(Cookie.parse("a=1; Domain=xn--55qx5d.cn", from: idn) == nil)
        #expect(Cookie.parse("a=1; Domain=shop.xn--55qx5d.cn", from: idn)?.domain == "shop.xn--55qx5d.cn")
    }

    @Test("RFC 6265bis §5.7: __Secure- needs Secure; __Host- needs Secure, no Domain and Path=/")
    func prefixes() {
        let secure = URL(string: "https://www.example.com/a/b")!
        #expect(Cookie.parse("__Secure-id=1; Secure", from: secure) != nil)
        #expect(Cookie.parse("__Secure-id=1", from: secure) == nil)
        #expect(Cookie.parse("__secure-id=1", from: secure) == nil, "any case")
        #expect(Cookie.parse("__Secure-id=1; Secure", from: URL(string: "http://www.example.com/")!) == nil)
        #expect(Cookie.parse("__Host-id=1; Secure; Path=/", from: secure)?.hostOnly == true)
        #expect(Cookie.parse("__Host-id=1; Secure; Path=/; Domain=example.com", from: secure) == nil)
        #expect(Cookie.parse("__Host-id=1; Secure; Path=/; Domain=www.example.com", from: secure) == nil)
        #expect(Cookie.parse("__Host-id=1; Secure", from: secure) == nil, "no Path=/")
        #expect(Cookie.parse("__Host-id=1; Secure; Path=/a", from: secure) == nil)
        #expect(Cookie.parse("__HOST-id=1; Path=/", from: secure) == nil, "any case, not Secure")
    }

    @Test("RFC 6265bis §5.6: name and value over 4096 octets drop the cookie, an attribute over 1024 octets itself")
    func sizeLimits() {
        let url = URL(string: "https://example.com/a/b")!
        let name = "n"
        #expect(Cookie.parse(name + "=" + String(repeating: "v", count: 4095), from: url) != nil)
        #expect(Cookie.parse(name + "=" + String(repeating: "v", count: 4096), from: url) == nil)
        let longPath = "/" + String(repeating: "p", count: 1024)
        #expect(Cookie.parse("a=1; Path=\(longPath)", from: url)?.path == "/a", "the default path")
        #expect(Cookie.parse("a=1; Path=\(longPath.dropLast())", from: url)?.path == String(longPath.dropLast()))
    }

    @Test("A Max-Age past Int's range still expires the cookie, or lives for the 400-day cap")
    func maxAgeBeyondRange() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let url = URL(string: "https://example.com/")!
        let gone = try #require(Cookie.parse("sid=; Max-Age=-99999999999999999999", from: url, now: now))
        #expect(gone.expires == Date(timeIntervalSince1970: 0))
        let capped = try #require(Cookie.parse("sid=1; Max-Age=99999999999999999999", from: url, now: now))
        #expect(capped.expires == now.addingTimeInterval(Cookie.maxLifetime))
        #expect(Cookie.parse("sid=1; Max-Age=-", from: url, now: now)?.expires == nil)
    }

    @Test("Attributes: Max-Age beats Expires, Secure, HttpOnly, SameSite, default path")
    func attributes() throws {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let url = URL(string: "https://example.com/docs/page")!
        let cookie = try #require(
            Cookie.parse(
                "id=7; Max-Age=60; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Secure; HttpOnly; SameSite=Lax", from: url,
                now: now)
        )
        #expect(cookie.expires == now.addingTimeInterval(60))
        #expect(cookie.secure && cookie.httpOnly && cookie.sameSite == .lax && cookie.hostOnly)
        #expect(cookie.path == "/docs")
        #expect(!cookie.matches(URL(string: "http://example.com/docs")!, at: now), "secure cookies stay off http")
        #expect(cookie.matches(URL(string: "https://example.com/docs/x")!, at: now))
        #expect(!cookie.matches(URL(string: "https://example.com/docsx")!, at: now))
        #expect(!cookie.matches(URL(string: "https://sub.example.com/docs")!, at: now), "host-only")
    }

    @Test("A cookie round trip across requests, replacement and deletion", arguments: Transport.main)
    func roundTrip(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(headers: ["Set-Cookie": "session=abc; Path=/"], body: "1"))
            server.enqueue(MockResponse(headers: ["Set-Cookie": "session=def; Path=/"], body: "2"))
            server.enqueue(MockResponse(headers: ["Set-Cookie": "session=; Max-Age=0"], body: "3"))
            server.enqueue(MockResponse(body: "4"))
            let jar = InMemoryCookieJar()
            let client = transport.client().with { $0.cookieJar = jar }
            for _ in 0..<4 { _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string() }
            var sent: [String?] = []
            for _ in 0..<4 { sent.append(try await server.takeRequest().headers["Cookie"]) }
            #expect(sent == [nil, "session=abc", "session=def", nil])
            #expect(jar.all.isEmpty)
            await server.shutdown()
        }
    }
}

@Suite("RFC 6265's own examples")
struct RFC6265ExampleTests {
    /// §3.1's examples, replayed in order against one jar: each step's Set-Cookie headers, then
    /// the Cookie header the next request to each URL carries.
    @Test("§3.1 examples")
    func examples() async throws {
        let jar = InMemoryCookieJar()
        let origin = URL(string: "http://www.example.com/")!
        func set(_ headers: [String], from url: URL = origin) async {
            await jar.save(headers.compactMap { Cookie.parse($0, from: url) }, from: url)
        }
        func header(_ url: URL) async -> String {
            await jar.cookies(for: url).map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
        }
        await set(["SID=31d4d96e407aad42"])
        #expect(await header(origin) == "SID=31d4d96e407aad42")
        // RFC 6265bis: a Secure cookie only from a secure origin (the 2011 example used http).
        await set(
            ["SID=31d4d96e407aad42; Path=/; Secure; HttpOnly", "lang=en-US; Path=/; Domain=example.com"],
            from: URL(string: "https://www.example.com/")!)
        #expect(await header(URL(string: "https://www.example.com/")!) == "SID=31d4d96e407aad42; lang=en-US")
        #expect(await header(origin) == "lang=en-US", "the Secure cookie stays off plain http")
        #expect(await header(URL(string: "http://docs.example.com/")!) == "lang=en-US", "Domain reaches subdomains")
        await set(["lang=en-US; Expires=Wed, 09 Jun 2121 10:18:14 GMT"])
        #expect(jar.all.filter { $0.name == "lang" }.count == 2, "a host-only lang beside the domain one")
        await set(["lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT"])
        await set(["lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Domain=example.com"])
        #expect(
            await header(URL(string: "https://www.example.com/")!) == "SID=31d4d96e407aad42",
            "expired cookies are removed")
    }

    @Test("The jar keeps at most 180 cookies a domain and 3000 in all, the oldest going first")
    func jarLimits() async throws {
        let jar = InMemoryCookieJar()
        let start = Date()
        func fill(_ host: String, _ count: Int, from first: Int) async throws {
            let url = URL(string: "https://\(host)/")!
            let cookies = try (0..<count).map { index in
                try #require(
                    Cookie.parse("c\(first + index)=v", from: url, now: start.addingTimeInterval(Double(first + index)))
                )
            }
            await jar.save(cookies, from: url)
        }
        try await fill("example.com", 200, from: 0)
        let kept = jar.all.map(\.name)
        #expect(kept.count == InMemoryCookieJar.maxCookiesPerDomain)
        #expect(!kept.contains("c19") && kept.contains("c20") && kept.contains("c199"), "the oldest went first")
        for site in 0..<20 { try await fill("site\(site).example", 170, from: 1000 + site * 170) }
        #expect(jar.all.count == InMemoryCookieJar.maxCookies)
        #expect(!jar.all.contains { $0.domain == "example.com" }, "the oldest, all of example.com's, went")
    }

    @Test("Cleartext can neither set a Secure cookie nor replace one (RFC 6265bis §5.7)")
    func secureFromCleartext() async throws {
        let jar = InMemoryCookieJar()
        let secure = URL(string: "https://example.com/")!
        let plain = URL(string: "http://example.com/")!
        #expect(Cookie.parse("token=evil; Secure", from: plain) == nil)
        await jar.save([try #require(Cookie.parse("token=good; Secure; Path=/", from: secure))], from: secure)
        await jar.save([try #require(Cookie.parse("token=evil; Path=/", from: plain))], from: plain)
        await jar.save([try #require(Cookie.parse("token=evil; Path=/app", from: plain))], from: plain)
        #expect(await jar.cookies(for: secure).map(\.value) == ["good"])
        await jar.save([try #require(Cookie.parse("other=fine", from: plain))], from: plain)
        #expect(await jar.cookies(for: plain).map(\.name) == ["other"])
    }

    @Test(
        "Max-Age and Expires are capped at 400 days, so every expiry can be written (fuzz finding 2)",
        arguments: [
            "a=b; Max-Age=9223372036854775807", "a=b; Max-Age=99999999999999",
            "a=b; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
        ]
    )
    func lifetimeCap(header: String) throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let cookie = try #require(Cookie.parse(header, from: URL(string: "https://example.com/")!, now: now))
        let expires = try #require(cookie.expires)
        #expect(expires == now.addingTimeInterval(400 * 86_400))
        #expect(CookieDate.parse(CookieDate.format(expires)) == expires)
        #expect(CookieDate.format(Date(timeIntervalSince1970: 1e300)) == "Fri, 31 Dec 9999 23:59:59 GMT")
    }

    @Test("Longer paths come first, then older cookies")
    func ordering() async throws {
        let jar = InMemoryCookieJar()
        let url = URL(string: "http://example.com/a/b/c")!
        for (index, header) in ["x=1; Path=/", "y=2; Path=/a/b", "z=3; Path=/a", "w=4; Path=/"].enumerated() {
            let cookie = Cookie.parse(header, from: url, now: Date(timeIntervalSince1970: Double(1_000 + index)))!
            await jar.save([cookie], from: url)
        }
        #expect(await jar.cookies(for: url).map(\.name) == ["y", "z", "x", "w"])
    }
}
