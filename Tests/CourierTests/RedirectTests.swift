import Courier
import CourierTestServer
import Testing

@Suite("Redirects and follow-ups")
struct RedirectTests {
    private func redirect(_ code: Int, to location: String) -> MockResponse {
        MockResponse(status: HTTPStatus(code: code), headers: ["Location": location], body: "moved")
    }

    @Test(
        "301, 302 and 303 turn a POST into a GET without a body; 303 any other method too",
        arguments: Transport.main, [(301, "POST"), (302, "POST"), (303, "POST"), (303, "PUT")] as [(Int, String)])
    func toGet(transport: Transport, redirect: (code: Int, method: String)) async throws {
        let code = redirect.code
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(self.redirect(code, to: "/landed"))
            server.enqueue(MockResponse(body: "here"))
            let response = try await transport.client().send(
                HTTPRequest(
                    method: HTTPMethod(rawValue: redirect.method), url: server.url("/form"), body: .string("field=1"))
            )
            #expect(try await response.body.string() == "here")
            #expect(response.priorResponse?.status.code == code)
            _ = try await server.takeRequest()
            let followed = try await server.takeRequest()
            #expect(followed.method == .get)
            #expect(followed.path == "/landed")
            #expect(followed.body.isEmpty)
            #expect(followed.headers["Content-Length"] == nil && followed.headers["Content-Type"] == nil)
            await server.shutdown()
        }
    }

    @Test(
        "A redirect starts from the caller's request: the jar's cookies once, the body decoded",
        arguments: Transport.main)
    func followUpFromCallersRequest(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { request in
                switch request.path {
                case "/start":
                    MockResponse(
                        status: HTTPStatus(code: 302), headers: ["Location": "/middle", "Set-Cookie": "session=2"])
                case "/middle":
                    MockResponse(status: HTTPStatus(code: 302), headers: ["Location": "/final"])
                default:
                    MockResponse(headers: ["Content-Encoding": "gzip"], body: try! CompressionTests.fixture("body.gz"))
                }
            }
            let client = transport.client().with { $0.cookieJar = InMemoryCookieJar() }
            let response = try await client.send(HTTPRequest(url: server.url("/start")))
            #expect(response.headers["Content-Encoding"] == nil)
            #expect(try await response.body.collect(upTo: 1 << 20) == CompressionTests.fixture("body.txt"))
            _ = try await server.takeRequest()
            _ = try await server.takeRequest()
            let followed = try await server.takeRequest()
            #expect(followed.headers.values(for: "Cookie") == ["session=2"])
            #expect(followed.headers["Accept-Encoding"] == "gzip, deflate, br")
            await server.shutdown()
        }
    }

    /// A 301 or 302 turns only a POST into a GET (Fetch §4.4; RFC 9110 §15.4.2 allows no more).
    @Test(
        "307 and 308 keep the method and the body; 301 and 302 too, for any method but POST",
        arguments: Transport.main, [(307, "PUT"), (308, "PUT"), (301, "PUT"), (302, "DELETE")] as [(Int, String)])
    func keepMethod(transport: Transport, redirect: (code: Int, method: String)) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(self.redirect(redirect.code, to: "/again"))
            server.enqueue(MockResponse(body: "kept"))
            let response = try await transport.client().send(
                HTTPRequest(
                    method: HTTPMethod(rawValue: redirect.method), url: server.url("/"), body: .string("payload")))
            #expect(try await response.body.string() == "kept")
            _ = try await server.takeRequest()
            let followed = try await server.takeRequest()
            #expect(followed.method.rawValue == redirect.method)
            #expect(followed.bodyString == "payload")
            await server.shutdown()
        }
    }

    @Test(
        "A 307, or a 301 that keeps the method, for a stream body is returned, not followed: a stream cannot be sent twice",
        arguments: Transport.main, [307, 301])
    func streamNotReplayed(transport: Transport, code: Int) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(redirect(code, to: "/again"))
            let body = HTTPRequest.Body.stream(AsyncChunks([Array("once".utf8)]), length: 4)
            let response = try await transport.client().send(
                HTTPRequest(method: .put, url: server.url("/"), body: body))
            #expect(response.status.code == code)
            #expect(server.requestCount == 1)
            await server.shutdown()
        }
    }

    @Test("Relative, absolute and dot-segment locations resolve against the request URL", arguments: Transport.main)
    func relativeLocation(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(redirect(302, to: "b/c?x=1"))
            server.enqueue(redirect(302, to: "../d"))
            server.enqueue(redirect(302, to: server.url("/e").absoluteString))
            server.enqueue(MockResponse(body: "end"))
            let response = try await transport.client().send(HTTPRequest(url: server.url("/a/start")))
            #expect(try await response.body.string() == "end")
            var targets: [String] = []
            for _ in 0..<4 { targets.append(try await server.takeRequest().target) }
            #expect(targets == ["/a/start", "/a/b/c?x=1", "/a/d", "/e"])
            #expect(response.priorResponse?.priorResponse?.priorResponse?.status.code == 302)
            #expect(response.priorResponse?.priorResponse?.priorResponse?.priorResponse == nil)
            await server.shutdown()
        }
    }

    @Test("The 21st follow-up is tooManyRedirects", arguments: Transport.main)
    func tooMany(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { request in
                MockResponse(status: HTTPStatus(code: 302), headers: ["Location": "/hop\(request.sequenceNumber + 1)"])
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await transport.client().send(HTTPRequest(url: server.url("/hop0")))
            }
            #expect(error?.kind == .tooManyRedirects)
            #expect(server.requestCount == 21)
            #expect(server.connectionCount == 1)
            await server.shutdown()
        }
    }

    @Test("followRedirects = false returns the redirect itself", arguments: Transport.main)
    func disabled(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(redirect(301, to: "/elsewhere"))
            let response = try await transport.client().with { $0.followRedirects = false }.send(
                HTTPRequest(url: server.url("/")))
            #expect(response.status.code == 301)
            #expect(response.headers["Location"] == "/elsewhere")
            await server.shutdown()
        }
    }

    @Test("Authorization, Proxy-Authorization and Cookie stay with their origin", arguments: Transport.main)
    func crossOrigin(transport: Transport) async throws {
        try await withTimeout {
            let other = try await transport.server { _ in MockResponse(body: "other origin") }
            let server = try await transport.server()
            server.enqueue(redirect(302, to: "/same"))
            server.enqueue(redirect(302, to: other.url("/away").absoluteString))
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Authorization"] = "Bearer secret"
            request.headers["Cookie"] = "session=1"
            request.headers["Proxy-Authorization"] = "Basic cHJveHk6c2VjcmV0"
            #expect(try await transport.client().send(request).body.string() == "other origin")
            _ = try await server.takeRequest()
            let sameOrigin = try await server.takeRequest()
            #expect(sameOrigin.headers["Authorization"] == "Bearer secret")
            #expect(sameOrigin.headers["Cookie"] == "session=1")
            // Without a forwarding proxy, Proxy-Authorization reaches no server at all (Proxies.md).
            #expect(sameOrigin.headers["Proxy-Authorization"] == nil)
            let crossed = try await other.takeRequest()
            #expect(crossed.headers["Authorization"] == nil)
            #expect(crossed.headers["Cookie"] == nil)
            #expect(crossed.headers["Proxy-Authorization"] == nil)
            #expect(crossed.headers["Host"] == "127.0.0.1:\(other.port)")
            await other.shutdown()
            await server.shutdown()
        }
    }

    @Test("followSSLRedirects governs https → http and http → https")
    func sslRedirects() async throws {
        try await withTimeout {
            let plain = try await TestServer { _ in MockResponse(body: "plain") }
            let secure = try await TLSTests.server()
            let https = try await TestServer(
                tls: .init(identity: try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity)
            ) { _ in
                MockResponse(
                    status: HTTPStatus(code: 302), headers: ["Location": plain.url("/downgraded").absoluteString])
            }
            let client = TLSTests.client()
            #expect(try await client.send(HTTPRequest(url: https.url("/"))).body.string() == "plain")
            let strict = client.with { $0.followSSLRedirects = false }
            #expect(try await strict.send(HTTPRequest(url: https.url("/"))).status.code == 302)

            let upgrade = try await TestServer { _ in
                MockResponse(
                    status: HTTPStatus(code: 301), headers: ["Location": secure.url("/upgraded").absoluteString])
            }
            #expect(try await client.send(HTTPRequest(url: upgrade.url("/"))).body.string() == "secure /upgraded")
            #expect(try await strict.send(HTTPRequest(url: upgrade.url("/"))).status.code == 301)
            for server in [plain, secure, https, upgrade] { await server.shutdown() }
        }
    }

    @Test("408, and 503 with Retry-After: 0, are retried once", arguments: Transport.main)
    func retryStatuses(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(status: HTTPStatus(code: 408)))
            server.enqueue(MockResponse(body: "after 408"))
            server.enqueue(MockResponse(status: HTTPStatus(code: 503), headers: ["Retry-After": "0"]))
            server.enqueue(MockResponse(status: HTTPStatus(code: 503), headers: ["Retry-After": "0"]))
            server.enqueue(MockResponse(status: HTTPStatus(code: 503), headers: ["Retry-After": "120"]))
            let client = transport.client()
            #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "after 408")
            let twice = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(twice.status.code == 503)
            #expect(twice.priorResponse?.status.code == 503)
            let later = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(later.status.code == 503)
            #expect(later.priorResponse == nil)
            #expect(server.requestCount == 5)
            await server.shutdown()
        }
    }

    @Test("A 408 is not retried with a Retry-After above 0, nor without retryOnConnectionFailure (OkHttp's rule)")
    func timeoutStatusRules() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(MockResponse(status: HTTPStatus(code: 408), headers: ["Retry-After": "5"]))
            server.enqueue(MockResponse(status: HTTPStatus(code: 408)))
            let client = HTTPClient()
            let later = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(later.status.code == 408 && later.priorResponse == nil)
            let noRetries = client.with { $0.retryOnConnectionFailure = false }
            #expect(try await noRetries.send(HTTPRequest(url: server.url("/"))).status.code == 408)
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }

    @Test("A POST redirected by 300 becomes a GET; every field that described the body goes with it")
    func multipleChoicesAndBodyFields() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(redirect(300, to: "/chosen"))
            server.enqueue(MockResponse(body: "chosen"))
            var request = HTTPRequest(method: .post, url: server.url("/form"), body: .string("a=1"))
            for (name, value) in [
                ("Content-Encoding", "identity"), ("Content-Language", "en"), ("Content-Location", "/form"),
            ] {
                request.headers[name] = value
            }
            #expect(try await HTTPClient().send(request).body.string() == "chosen")
            _ = try await server.takeRequest()
            let followed = try await server.takeRequest()
            #expect(followed.method == .get)
            #expect(followed.body.isEmpty)
            for name in ["Content-Encoding", "Content-Language", "Content-Location", "Content-Type"] {
                #expect(followed.headers[name] == nil, "\(name)")
            }
            await server.shutdown()
        }
    }

    @Test("The target of a redirect without a fragment inherits the request's (RFC 9110 §10.2.2)")
    func fragmentInherited() async throws {
        try await withTimeout {
            let server = try await TestServer()
            server.enqueue(redirect(302, to: "/b"))
            server.enqueue(redirect(302, to: "/c#own"))
            server.enqueue(MockResponse(body: "c"))
            let response = try await HTTPClient().send(HTTPRequest(url: server.url("/a#section")))
            #expect(response.request.url.fragment == "own")
            #expect(response.priorResponse?.request.url.fragment == "section")
            #expect(response.priorResponse?.request.url.path == "/b")
            await server.shutdown()
        }
    }
}
