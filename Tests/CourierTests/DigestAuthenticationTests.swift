import CourierTestServer
import CourierTransport
import Testing

@testable import Courier

@Suite("Digest authentication (RFC 7616)")
struct DigestAuthenticationTests {
    /// RFC 7616 §3.9.1: Mufasa's request for /dir/index.html.
    @Test(
        "The RFC's worked example, MD5 and SHA-256",
        arguments: [
            (MessageDigest.md5, "8ca523f5e9506fed4657c9700eebdbec"),
            (MessageDigest.sha256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
        ])
    func rfcExample(algorithm: MessageDigest, expected: String) {
        let credentials = DigestAuthenticator.Credentials(
            username: "Mufasa", password: "Circle of Life", realm: "http-auth@example.org", method: "GET",
            uri: "/dir/index.html", nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", nc: "00000001", qop: "auth",
            algorithm: algorithm, session: false
        )
        #expect(credentials.response == expected)
    }

    @Test("Challenges with quoted commas and several schemes parse")
    func challenges() {
        let parsed = AuthChallenge.parse(
            #"Digest realm="a, b", qop="auth, auth-int", algorithm=SHA-256, nonce="n", Basic realm="r""#)
        #expect(parsed.map(\.scheme) == ["Digest", "Basic"])
        #expect(parsed[0].parameters["realm"] == "a, b")
        #expect(parsed[0].parameters["qop"] == "auth, auth-int")
        #expect(parsed[0].parameters["algorithm"] == "SHA-256")
        #expect(parsed[1].parameters["realm"] == "r")
    }

    /// A server that checks Digest responses itself, with a fresh nonce per challenge.
    private func server(
        _ transport: Transport = .http1, password: String, staleFirst: Bool = false
    ) async throws -> TestServer {
        let stale = Tally()
        return try await transport.server { request in
            let challenge: HTTPHeaders = [
                "WWW-Authenticate":
                    #"Digest realm="courier", qop="auth", algorithm=MD5, nonce="n\#(request.sequenceNumber)", opaque="o""#
            ]
            guard let authorization = request.headers["Authorization"], authorization.hasPrefix("Digest ") else {
                var headers = challenge
                headers.add(
                    "WWW-Authenticate",
                    #"Digest realm="courier", qop="auth", algorithm=SHA-256, nonce="n\#(request.sequenceNumber)", opaque="o""#
                )
                return MockResponse(status: HTTPStatus(code: 401), headers: headers)
            }
            let fields = AuthChallenge.parse(authorization)[0].parameters
            // RFC 7616 §3.4: the uri the hash covers must be the request's own.
            guard fields["uri"] == request.target else {
                return MockResponse(
                    status: HTTPStatus(code: 400), body: "uri \(fields["uri"] ?? "") is not \(request.target)")
            }
            if staleFirst && stale.all.isEmpty {
                stale.record("stale")
                return MockResponse(
                    status: HTTPStatus(code: 401),
                    headers: [
                        "WWW-Authenticate":
                            #"Digest realm="courier", qop="auth", algorithm=SHA-256, nonce="fresh", stale=true"#
                    ]
                )
            }
            let h = MessageDigest.sha256.hex
            let ha1 = h("\(fields["username"]!):courier:\(password)")
            let ha2 = h("\(request.method.rawValue):\(fields["uri"]!)")
            let expected = h("\(ha1):\(fields["nonce"]!):\(fields["nc"]!):\(fields["cnonce"]!):auth:\(ha2)")
            guard fields["algorithm"] == "SHA-256", fields["response"] == expected,
                fields["opaque"] != nil || staleFirst
            else {
                return MockResponse(status: HTTPStatus(code: 401), headers: challenge)
            }
            if request.path == "/moved" {
                return MockResponse(status: HTTPStatus(code: 302), headers: ["Location": "/"])
            }
            return MockResponse(body: "hello \(fields["username"]!)")
        }
    }

    @Test("SHA-256 is chosen over MD5 and the server accepts the response", arguments: Transport.main)
    func endToEnd(transport: Transport) async throws {
        try await withTimeout {
            let server = try await server(transport, password: "Circle of Life")
            let client = transport.client().with {
                $0.authenticator = DigestAuthenticator(username: "Mufasa", password: "Circle of Life")
            }
            let response = try await client.send(HTTPRequest(url: server.url("/dir/index.html?x=1")))
            #expect(try await response.body.string() == "hello Mufasa")
            await server.shutdown()
        }
    }

    @Test(
        "A redirect on the same origin asks afresh: a Digest answer is bound to its method and URI",
        arguments: Transport.main)
    func sameOriginRedirect(transport: Transport) async throws {
        try await withTimeout {
            let server = try await server(transport, password: "pw")
            let client = transport.client().with {
                $0.authenticator = DigestAuthenticator(username: "u", password: "pw")
            }
            let response = try await client.send(HTTPRequest(url: server.url("/moved")))
            #expect(try await response.body.string() == "hello u")
            // /moved: challenged, answered, redirected; /: challenged, answered.
            #expect(server.requestCount == 4)
            await server.shutdown()
        }
    }

    @Test("A username that is not ASCII goes as username* (RFC 8187); userhash=true hashes it (RFC 7616 §3.4.4)")
    func usernameForms() async throws {
        let request = HTTPRequest(url: URL(string: "https://example.com/a")!)
        func answer(_ name: String, challenge: String) async throws -> [String: String] {
            let response = HTTPResponse(
                status: HTTPStatus(code: 401), headers: ["WWW-Authenticate": challenge], request: request)
            let answered = try await DigestAuthenticator(username: name, password: "pw").authenticate(response)
            return AuthChallenge.parse(try #require(answered?.headers["Authorization"]))[0].parameters
        }
        let h = MessageDigest.sha256.hex
        func verifies(_ fields: [String: String], as name: String) -> Bool {
            let ha1 = h("\(name):r:pw")
            let ha2 = h("GET:/a")
            return fields["response"]
                == h("\(ha1):\(fields["nonce"]!):\(fields["nc"]!):\(fields["cnonce"]!):auth:\(ha2)")
        }
        let unicode = try await answer(
            "Jäsøn Doe", challenge: #"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n""#)
        #expect(unicode["username"] == nil)
        #expect(unicode["username*"] == "UTF-8''J%C3%A4s%C3%B8n%20Doe")
        #expect(verifies(unicode, as: "Jäsøn Doe"))
        let hashed = try await answer(
            "Mufasa", challenge: #"Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n", userhash=true"#)
        #expect(hashed["username"] == h("Mufasa:r"))
        #expect(hashed["userhash"] == "true")
        #expect(verifies(hashed, as: "Mufasa"))
    }

    @Test("Answering a proxy's CONNECT challenge, the uri is the authority the request line names")
    func connectURI() async throws {
        var connect = HTTPRequest(method: .connect, url: URL(string: "https://example.com:8443/")!)
        connect.headers["Host"] = "example.com:8443"
        let challenge = HTTPResponse(
            status: HTTPStatus(code: 407),
            headers: ["Proxy-Authenticate": #"Digest realm="proxy", qop="auth", nonce="n""#],
            request: connect)
        let answered = try await DigestAuthenticator(username: "u", password: "p").authenticate(challenge)
        let header = try #require(answered?.headers["Proxy-Authorization"])
        #expect(AuthChallenge.parse(header)[0].parameters["uri"] == "example.com:8443")
    }

    @Test(
        "A username with a quote or backslash is escaped in its quoted-string and still verifies",
        arguments: Transport.main)
    func quotedUsername(transport: Transport) async throws {
        try await withTimeout {
            let server = try await server(transport, password: "pw")
            let name = #"ada "the" \ lovelace"#
            let client = transport.client().with {
                $0.authenticator = DigestAuthenticator(username: name, password: "pw")
            }
            let response = try await client.send(HTTPRequest(url: server.url("/")))
            #expect(try await response.body.string() == "hello \(name)")
            await server.shutdown()
        }
    }

    @Test("A wrong password gets one try; a stale nonce gets another", arguments: Transport.main)
    func retries(transport: Transport) async throws {
        try await withTimeout {
            let wrong = try await server(transport, password: "other")
            let client = transport.client().with {
                $0.authenticator = DigestAuthenticator(username: "Mufasa", password: "Circle of Life")
            }
            #expect(try await client.send(HTTPRequest(url: wrong.url("/"))).status.code == 401)
            #expect(wrong.requestCount == 2)
            let stale = try await server(transport, password: "Circle of Life", staleFirst: true)
            #expect(try await client.send(HTTPRequest(url: stale.url("/"))).body.string() == "hello Mufasa")
            #expect(stale.requestCount == 3)
            await wrong.shutdown()
            await stale.shutdown()
        }
    }
}
