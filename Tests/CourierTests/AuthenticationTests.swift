import Courier
import CourierTestServer
import Testing

@Suite("Authentication")
struct AuthenticationTests {
    /// A server that wants `expected` in Authorization and challenges with `scheme` otherwise.
    private func server(
        _ transport: Transport = .http1, expecting expected: String, scheme: String = "Basic realm=\"courier\""
    ) async throws -> TestServer {
        try await transport.server { request in
            guard request.headers["Authorization"] == expected else {
                return MockResponse(
                    status: HTTPStatus(code: 401), headers: ["WWW-Authenticate": scheme], body: "who are you?")
            }
            return MockResponse(body: "welcome")
        }
    }

    @Test("Basic: the challenge is answered once with the credentials", arguments: Transport.main)
    func basic(transport: Transport) async throws {
        try await withTimeout {
            let authenticator = BasicAuthenticator(username: "ada", password: "lovelace")
            #expect(authenticator.credentials == "Basic YWRhOmxvdmVsYWNl")
            let server = try await server(transport, expecting: authenticator.credentials)
            let client = transport.client().with { $0.authenticator = authenticator }
            let response = try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: .string("x")))
            #expect(try await response.body.string() == "welcome")
            #expect(response.priorResponse?.status.code == 401)
            #expect(server.requestCount == 2)
            _ = try await server.takeRequest()
            #expect(try await server.takeRequest().bodyString == "x")
            await server.shutdown()
        }
    }

    @Test("Rejected credentials are not sent again: the 401 comes back after one try", arguments: Transport.main)
    func noLoop(transport: Transport) async throws {
        try await withTimeout {
            let server = try await server(transport, expecting: "never")
            let client = transport.client().with {
                $0.authenticator = BasicAuthenticator(username: "ada", password: "wrong")
            }
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(response.status.code == 401)
            #expect(server.requestCount == 2)
            await server.shutdown()
        }
    }

    @Test(
        "A redirect to another origin that challenges gets no credentials, unless the scope is anyOrigin",
        arguments: Transport.main)
    func otherOriginChallenge(transport: Transport) async throws {
        try await withTimeout {
            let authenticator = BasicAuthenticator(username: "ada", password: "lovelace")
            let elsewhere = try await server(transport, expecting: authenticator.credentials)
            let origin = try await transport.server { _ in
                MockResponse(status: HTTPStatus(code: 302), headers: ["Location": elsewhere.url("/").absoluteString])
            }
            let client = transport.client().with { $0.authenticator = authenticator }
            #expect(try await client.send(HTTPRequest(url: origin.url("/"))).status.code == 401)
            #expect(elsewhere.requestCount == 1)
            #expect(try await elsewhere.takeRequest().headers["Authorization"] == nil)

            let trusting = transport.client().with {
                $0.authenticator = BasicAuthenticator(username: "ada", password: "lovelace", scope: .anyOrigin)
            }
            #expect(try await trusting.send(HTTPRequest(url: origin.url("/"))).body.string() == "welcome")
            await origin.shutdown()
            await elsewhere.shutdown()
        }
    }

    @Test("After https, a challenge over cleartext http is never answered, whatever the scope")
    func noCleartextAfterHTTPS() async throws {
        try await withTimeout {
            let authenticator = BasicAuthenticator(username: "ada", password: "lovelace", scope: .anyOrigin)
            let plain = try await server(expecting: authenticator.credentials)
            let identity = try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity
            let secure = try await TestServer(tls: .init(identity: identity)) { _ in
                MockResponse(status: HTTPStatus(code: 302), headers: ["Location": plain.url("/").absoluteString])
            }
            let client = TLSTests.client().with {
                $0.followSSLRedirects = true
                $0.authenticator = authenticator
            }
            #expect(try await client.send(HTTPRequest(url: secure.url("/"))).status.code == 401)
            #expect(plain.requestCount == 1)
            #expect(try await plain.takeRequest().headers["Authorization"] == nil)
            await secure.shutdown()
            await plain.shutdown()
        }
    }

    @Test("Without an authenticator, or for a scheme it does not speak, the 401 is returned", arguments: Transport.main)
    func unanswered(transport: Transport) async throws {
        try await withTimeout {
            let digestOnly = try await server(transport, expecting: "x", scheme: "Digest realm=\"r\", nonce=\"n\"")
            let basic = transport.client().with { $0.authenticator = BasicAuthenticator(username: "a", password: "b") }
            #expect(try await basic.send(HTTPRequest(url: digestOnly.url("/"))).status.code == 401)
            #expect(try await transport.client().send(HTTPRequest(url: digestOnly.url("/"))).status.code == 401)
            #expect(digestOnly.requestCount == 2)
            await digestOnly.shutdown()
        }
    }

    @Test(
        "A quoted \"Basic\" inside a Digest challenge is not a Basic challenge: no password in clear",
        arguments: Transport.main)
    func quotedSchemeName(transport: Transport) async throws {
        try await withTimeout {
            let tricky = try await server(transport, expecting: "x", scheme: #"Digest realm="a, Basic b", nonce="n""#)
            let basic = transport.client().with {
                $0.authenticator = BasicAuthenticator(username: "a", password: "secret")
            }
            #expect(try await basic.send(HTTPRequest(url: tricky.url("/"))).status.code == 401)
            #expect(tricky.requestCount == 1, "no second request carrying Basic credentials")
            await tricky.shutdown()
        }
    }

    @Test("Bearer: a rejected token is refreshed through the provider", arguments: Transport.main)
    func bearerRefresh(transport: Transport) async throws {
        try await withTimeout {
            let server = try await server(
                transport, expecting: "Bearer fresh", scheme: "Bearer realm=\"api\", error=\"invalid_token\"")
            let rejections = Tally()
            let client = transport.client().with {
                $0.authenticator = BearerAuthenticator { rejected in
                    rejections.record(rejected ?? "none")
                    return rejected == "stale" ? "fresh" : nil
                }
            }
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Authorization"] = "Bearer stale"
            #expect(try await client.send(request).body.string() == "welcome")
            #expect(rejections.all == ["stale": 1])
            await server.shutdown()
        }
    }

    @Test("A request with a stream body is not replayed for a challenge", arguments: Transport.main)
    func streamBody(transport: Transport) async throws {
        try await withTimeout {
            let server = try await server(transport, expecting: "never")
            let client = transport.client().with { $0.authenticator = BasicAuthenticator(username: "a", password: "b") }
            let body = HTTPRequest.Body.stream(AsyncChunks([Array("once".utf8)]), length: 4)
            #expect(
                try await client.send(HTTPRequest(method: .post, url: server.url("/"), body: body)).status.code == 401)
            #expect(server.requestCount == 1)
            await server.shutdown()
        }
    }
}
