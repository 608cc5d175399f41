import Courier
import CourierCore
import CourierTestServer
import Synchronization
import Testing

/// DNS over HTTPS (RFC 8484): the wire format without sockets, then the resolver against the
/// test server answering DNS messages.
@Suite("DNS over HTTPS")
struct DNSOverHTTPSTests {
    // MARK: The wire format

    @Test("A query is one question, ID 0, recursion desired, class IN, and an OPT record padding it to 128 octets")
    func queryEncoding() throws {
        let question =
            [3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 28, 0, 1]
        // Root name, OPT, a 1,232-octet payload size, no flags; 4 + 80 octets of data: the
        // Padding option (12) with 80 zeros, since 12 + 21 + 11 + 4 + 80 = 128.
        let opt: [UInt8] = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 84, 0, 12, 0, 80] + [UInt8](repeating: 0, count: 80)
        let header: [UInt8] = [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]
        #expect(try DNSMessage.query(for: "www.example.com", type: .aaaa) == header + question + opt)
        #expect(throws: DNSMessage.Failure.self) { try DNSMessage.query(for: "a..b", type: .a) }
        #expect(throws: DNSMessage.Failure.self) {
            try DNSMessage.query(for: String(repeating: "x", count: 64) + ".test", type: .a)
        }
    }

    @Test(
        "Every query length is padded to a multiple of 128 octets, with an OPT record whose lengths add up (RFC 8467)")
    func queryPadding() throws {
        for length in 1...253 where length % 64 != 0 {
            // Labels of 63 octets joined by dots: every name length a host name can have.
            let name = stride(from: 0, to: length, by: 64).map { start in
                String(repeating: "x", count: min(63, length - start))
            }.joined(separator: ".")
            let query = try DNSMessage.query(for: name, type: .a)
            #expect(query.count % DNSMessage.paddingBlock == 0, "\(length)")
            let opt = query.count - (12 + name.utf8.count + 2 + 4)
            let padding = Int(query[query.count - opt + 13]) << 8 | Int(query[query.count - opt + 14])
            let dataLength = Int(query[query.count - opt + 9]) << 8 | Int(query[query.count - opt + 10])
            #expect(dataLength == 4 + padding && opt == 11 + dataLength && padding < DNSMessage.paddingBlock)
        }
    }

    @Test("An answer's addresses of the asked type, past compressed names and a CNAME, with the smallest TTL")
    func answerDecoding() throws {
        let answer = DNSAnswerBuilder(
            name: "www.example.com", type: 1,
            records: [
                .init(type: 5, ttl: 600, data: [3] + Array("web".utf8) + [0xC0, 12]),
                .init(type: 1, ttl: 300, data: [192, 0, 2, 1]),
                .init(type: 1, ttl: 60, data: [192, 0, 2, 2]),
            ]
        ).bytes
        #expect(
            try DNSMessage.answer(answer, for: "www.example.com", type: .a)
                == DNSMessage.Answer(addresses: ["192.0.2.1", "192.0.2.2"], ttl: 60))
        #expect(throws: DNSMessage.Failure.self, "an answer to the A question is no answer to the AAAA one") {
            try DNSMessage.answer(answer, for: "www.example.com", type: .aaaa)
        }
    }

    @Test("Only records for the name asked, or a name its CNAME chain leads to, are its addresses (RFC 1034 §4.3.2)")
    func answersForOtherNames() throws {
        let evil = [4] + Array("evil".utf8) + [4] + Array("test".utf8) + [0]
        let web = [3] + Array("web".utf8) + [0xC0, 12]
        let answer = DNSAnswerBuilder(
            name: "a.example", type: 1,
            records: [
                .init(type: 1, ttl: 3600, data: [6, 6, 6, 6], owner: evil),
                .init(type: 5, ttl: 30, data: web),
                .init(type: 1, ttl: 300, data: [192, 0, 2, 1], owner: web),
            ]
        ).bytes
        #expect(
            try DNSMessage.answer(answer, for: "a.example", type: .a)
                == DNSMessage.Answer(addresses: ["192.0.2.1"], ttl: 30), "the CNAME's TTL counts too")
        #expect(throws: DNSMessage.Failure.self, "the question must be the one asked") {
            try DNSMessage.answer(answer, for: "b.example", type: .a)
        }
        // A pointer that points forward (to itself, here) could loop: malformed.
        let looping = DNSAnswerBuilder(
            name: "a.example", type: 1, records: [.init(type: 1, ttl: 1, data: [1, 2, 3, 4], owner: [0xC0, 27])]
        ).bytes
        #expect(throws: DNSMessage.Failure.self) { try DNSMessage.answer(looping, for: "a.example", type: .a) }
    }

    @Test("RCODEs, truncation and every cut-short answer are errors, never a partial answer")
    func answerFailures() {
        let base = DNSAnswerBuilder(
            name: "a.test", type: 28, records: [.init(type: 28, ttl: 30, data: [UInt8](repeating: 1, count: 16))])
        var nxdomain = base
        nxdomain.rcode = 3
        #expect(throws: DNSMessage.Failure.rcode(3)) {
            try DNSMessage.answer(nxdomain.bytes, for: "a.test", type: .aaaa)
        }
        var truncated = base.bytes
        truncated[2] |= 0x02
        #expect(throws: DNSMessage.Failure.self) { try DNSMessage.answer(truncated, for: "a.test", type: .aaaa) }
        let whole = base.bytes
        for length in 0..<whole.count {
            #expect(throws: DNSMessage.Failure.self) {
                try DNSMessage.answer(Array(whole.prefix(length)), for: "a.test", type: .aaaa)
            }
        }
        var wrongLength = DNSAnswerBuilder(name: "a.test", type: 1, records: [.init(type: 1, ttl: 1, data: [1, 2, 3])])
        wrongLength.rcode = 0
        #expect(throws: DNSMessage.Failure.self) { try DNSMessage.answer(wrongLength.bytes, for: "a.test", type: .a) }
    }

    @Test(
        "IPv6 addresses are written the RFC 5952 way",
        arguments: [
            ("20010db8000000000000000000000001", "2001:db8::1"), ("00000000000000000000000000000001", "::1"),
            ("00000000000000000000000000000000", "::"), ("20010db8000000000001000000000001", "2001:db8::1:0:0:1"),
            ("20010db8000100000001000100010001", "2001:db8:1:0:1:1:1:1"),
        ])
    func ipv6Text(hex: String, text: String) throws {
        let octets = stride(from: 0, to: hex.count, by: 2).map { offset in
            UInt8(hex.dropFirst(offset).prefix(2), radix: 16)!
        }
        let answer = DNSAnswerBuilder(name: "a.test", type: 28, records: [.init(type: 28, ttl: 1, data: octets)])
        #expect(try DNSMessage.answer(answer.bytes, for: "a.test", type: .aaaa).addresses == [text])
    }

    // MARK: The resolver, against the test server

    /// A DoH server on loopback (TLS with h2) for `dns.test`, answering every name in `zone` with
    /// its addresses, anything else with NXDOMAIN; its requests are what it recorded.
    /// With `age`, every answer carries that `Age`, as from an HTTP cache in between.
    /// `aaaa` runs before an AAAA query for a name is answered, and may answer it instead.
    private func dohServer(
        _ zone: [String: [String]], age: Int? = nil,
        aaaa: @escaping @Sendable (String) async -> MockResponse? = { _ in nil }
    ) async throws -> TestServer {
        let leaf = try HeldCertificate.leaf(hosts: ["dns.test"], issuedBy: TLSTests.authority)
        return try await TestServer(tls: TestServer.TLS(identity: leaf.identity), protocols: [.http2, .http1_1]) {
            request in
            guard let query = DNSQuestion(request) else { return MockResponse(status: .badRequest) }
            if query.type == 28, let answer = await aaaa(query.name) { return answer }
            let addresses = zone[query.name] ?? []
            var answer = DNSAnswerBuilder(
                name: query.name, type: query.type,
                records: addresses.compactMap { address in
                    let octets = IPv4OrIPv6.octets(address)
                    guard octets.count == (query.type == 1 ? 4 : 16) else { return nil }
                    return .init(type: query.type, ttl: 120, data: octets)
                })
            if zone[query.name] == nil { answer.rcode = 3 }
            var headers: HTTPHeaders = ["Content-Type": "application/dns-message"]
            if let age { headers["Age"] = String(age) }
            return MockResponse(headers: headers, body: answer.bytes)
        }
    }

    /// A resolution delay of seconds unless a test says otherwise: tests that expect both
    /// families must not depend on AAAA coming within 50 ms on a loaded machine.
    private func resolver(
        _ server: TestServer, method: DNSOverHTTPSResolver.Method = .get, includeIPv6: Bool = true,
        resolutionDelay: Duration = .seconds(5), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) -> DNSOverHTTPSResolver {
        DNSOverHTTPSResolver(
            url: URL(string: "https://dns.test:\(server.port)/dns-query")!, bootstrapAddresses: ["127.0.0.1"],
            method: method, includeIPv6: includeIPv6, client: Transport.http2.client(),
            resolutionDelay: resolutionDelay, now: now)
    }

    @Test("A client whose resolver is DoH reaches a host by name, by GET or POST", arguments: [true, false])
    func endToEnd(post: Bool) async throws {
        try await withTimeout(.seconds(20)) {
            let dns = try await dohServer(["app.test": ["127.0.0.1"]])
            defer { Task { await dns.shutdown() } }
            let app = try await TestServer { _ in MockResponse(body: "resolved over DoH") }
            defer { Task { await app.shutdown() } }
            let client = Transport.http1.client {
                $0.dnsResolver = resolver(dns, method: post ? .post : .get)
            }
            let response = try await client.send(HTTPRequest(url: URL(string: "http://app.test:\(app.port)/")!))
            #expect(try await response.body.string() == "resolved over DoH")
            let queries = [try await dns.takeRequest(), try await dns.takeRequest()]
            #expect(queries.allSatisfy { $0.version == .http2 && $0.headers["Accept"] == "application/dns-message" })
            if post {
                #expect(queries.allSatisfy { $0.method == .post && $0.path == "/dns-query" })
            } else {
                #expect(queries.allSatisfy { $0.method == .get && $0.target.hasPrefix("/dns-query?dns=") })
            }
            #expect(Set(queries.compactMap { DNSQuestion($0)?.type }) == [1, 28])
            #expect(dns.connectionCount == 1, "both queries share one HTTP/2 connection")
        }
    }

    @Test("Answers are kept for their TTL, and asked again after it")
    func ttlCache() async throws {
        try await withTimeout(.seconds(20)) {
            let dns = try await dohServer(["app.test": ["127.0.0.1", "::1"]])
            defer { Task { await dns.shutdown() } }
            let start = ContinuousClock.now
            let clock = Mutex(start)
            let resolver = resolver(dns) { clock.withLock { $0 } }
            let first = try await resolver.resolve(host: "app.test", port: 80)
            #expect(first == [ResolvedAddress(ip: "::1", port: 80), ResolvedAddress(ip: "127.0.0.1", port: 80)])
            clock.withLock { $0 = start + .seconds(119) }
            #expect(try await resolver.resolve(host: "APP.test", port: 443).map(\.port) == [443, 443])
            #expect(dns.requestCount == 2)
            clock.withLock { $0 = start + .seconds(121) }
            _ = try await resolver.resolve(host: "app.test", port: 80)
            #expect(dns.requestCount == 4)
        }
    }

    @Test("An answer that waited in an HTTP cache is kept for what is left of its TTL (RFC 8484 §5.1)")
    func ageShortensTheTTL() async throws {
        try await withTimeout(.seconds(20)) {
            let dns = try await dohServer(["app.test": ["127.0.0.1"]], age: 100)
            defer { Task { await dns.shutdown() } }
            let start = ContinuousClock.now
            let clock = Mutex(start)
            let resolver = resolver(dns, includeIPv6: false) { clock.withLock { $0 } }
            _ = try await resolver.resolve(host: "app.test", port: 80)
            clock.withLock { $0 = start + .seconds(19) }
            _ = try await resolver.resolve(host: "app.test", port: 80)
            #expect(dns.requestCount == 1)
            clock.withLock { $0 = start + .seconds(21) }
            _ = try await resolver.resolve(host: "app.test", port: 80)
            #expect(dns.requestCount == 2, "120 s of TTL, 100 of them spent in a cache")
        }
    }

    @Test("No such name, a failing server, or IPv4 only: precise failures, and one family is enough")
    func failures() async throws {
        try await withTimeout(.seconds(20)) {
            let dns = try await dohServer(["v4.test": ["192.0.2.7"]])
            defer { Task { await dns.shutdown() } }
            let missing = await #expect(throws: HTTPClientError.self) {
                try await resolver(dns).resolve(host: "nowhere.test", port: 80)
            }
            #expect(missing?.kind == .dnsFailure && missing?.message.contains("NXDOMAIN") == true)
            // The AAAA query finds nothing; the A answer stands.
            #expect(
                try await resolver(dns).resolve(host: "v4.test", port: 80) == [
                    ResolvedAddress(ip: "192.0.2.7", port: 80)
                ])
            let before = dns.requestCount
            _ = try await resolver(dns, includeIPv6: false).resolve(host: "v4.test", port: 80)
            #expect(dns.requestCount == before + 1, "no AAAA query")
            let broken = try await TestServer { _ in MockResponse(status: .internalServerError) }
            defer { Task { await broken.shutdown() } }
            let failing = DNSOverHTTPSResolver(
                url: URL(string: "http://127.0.0.1:\(broken.port)/dns-query")!, client: HTTPClient())
            let error = await #expect(throws: HTTPClientError.self) {
                try await failing.resolve(host: "app.test", port: 80)
            }
            #expect(error?.kind == .dnsFailure && error?.message.contains("answered 500") == true)
        }
    }

    @Test("A slow AAAA answer waits no longer than the resolution delay once A found addresses (RFC 8305 §3)")
    func resolutionDelay() async throws {
        try await withTimeout(.seconds(20)) {
            let held = Gate()
            let dns = try await dohServer(["app.test": ["127.0.0.1", "::1"], "warm.test": ["::1"]]) { name in
                if name == "app.test" { await held.pass {} }
                return nil
            }
            defer { Task { await dns.shutdown() } }
            let resolver = resolver(dns, resolutionDelay: DNSOverHTTPSResolver.defaultResolutionDelay)
            // The connection to the DoH server first (its TLS context waits for the blocking
            // pool, which other tests may hold): what is timed is the lookup alone.
            _ = try await resolver.resolve(host: "warm.test", port: 80)
            let started = ContinuousClock.now
            #expect(
                try await resolver.resolve(host: "app.test", port: 80) == [ResolvedAddress(ip: "127.0.0.1", port: 80)])
            #expect(ContinuousClock.now - started < .seconds(5))
            held.open()
            // The answer without its AAAA half is not kept: the next lookup asks both again.
            #expect(
                try await resolver.resolve(host: "app.test", port: 80) == [
                    ResolvedAddress(ip: "::1", port: 80), ResolvedAddress(ip: "127.0.0.1", port: 80),
                ])
        }
    }

    @Test("An answer with one family failed is used, not kept: the next lookup asks again")
    func halfAnswerNotKept() async throws {
        try await withTimeout(.seconds(20)) {
            let failures = Mutex(1)
            let dns = try await dohServer(["app.test": ["127.0.0.1", "::1"]]) { _ in
                failures.withLock { left in
                    defer { left -= 1 }
                    return left > 0 ? MockResponse(status: HTTPStatus(code: 503)) : nil
                }
            }
            defer { Task { await dns.shutdown() } }
            let resolver = resolver(dns)
            #expect(try await resolver.resolve(host: "app.test", port: 80).map(\.ip) == ["127.0.0.1"])
            #expect(try await resolver.resolve(host: "app.test", port: 80).map(\.ip) == ["::1", "127.0.0.1"])
            #expect(dns.requestCount == 4)
            _ = try await resolver.resolve(host: "app.test", port: 80)
            #expect(dns.requestCount == 4, "a whole answer is kept")
        }
    }
}
