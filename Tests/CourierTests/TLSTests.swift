import Courier
import CourierTestServer
import Testing

@Suite("TLS")
struct TLSTests {
    static let authority = try! HeldCertificate.authority()

    /// A client that trusts only the test authority. It speaks HTTP/1.1: these suites are about
    /// TLS handshakes and connections, which need a connection per call to be told apart.
    static func client(_ modify: (inout TLSConfiguration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = [authority.certificate]
        configuration.protocols = [.http1_1]
        modify(&configuration.tls)
        return HTTPClient(configuration: configuration)
    }

    static func server(_ leaf: HeldCertificate? = nil, clientRoots: [TLSCertificate]? = nil) async throws -> TestServer
    {
        let identity = try (leaf ?? HeldCertificate.leaf(issuedBy: authority)).identity
        return try await TestServer(tls: .init(identity: identity, clientCertificateRoots: clientRoots)) { request in
            MockResponse(body: "secure \(request.path)")
        }
    }

    @Test(
        "HTTPS with a custom root: TLS 1.3, the protocol ALPN chose, the peer's certificate",
        arguments: [Transport.https, .http2])
    func success(transport: Transport) async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            #expect(server.url("/").scheme == "https")
            let response = try await transport.client().send(HTTPRequest(url: server.url("/hello")))
            #expect(try await response.body.string() == "secure /hello")
            #expect(response.version == transport.version)
            let handshake = try #require(response.tlsHandshake)
            #expect(handshake.version == .tls1_3)
            #expect(handshake.applicationProtocol == (transport == .http2 ? "h2" : "http/1.1"))
            #expect(handshake.peerCertificates.first == leaf.certificate)
            #expect(!handshake.cipherSuite.isEmpty)
            await server.shutdown()
        }
    }
}

@Suite("TLS failures")
struct TLSFailureTests {
    private func failure(_ client: HTTPClient, _ server: TestServer) async -> HTTPClientError? {
        do {
            _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
            return nil
        } catch {
            return error as? HTTPClientError
        }
    }

    @Test("An unusable TLS configuration is invalidConfiguration, before any handshake")
    func invalidConfiguration() async throws {
        #expect(throws: HTTPClientError.self) { try TLSCertificate(pem: "not a certificate") }
        try await withTimeout {
            let server = try await TLSTests.server()
            let one = try HeldCertificate.leaf(hosts: [], issuedBy: TLSTests.authority)
            let other = try HeldCertificate.leaf(hosts: [], issuedBy: TLSTests.authority)
            let mismatched = try TLSIdentity(certificatePEM: one.certificatePEM, privateKeyPEM: other.privateKeyPEM)
            let error = await failure(TLSTests.client { $0.clientIdentity = mismatched }, server)
            #expect(error?.kind == .tls(.invalidConfiguration))
            #expect(error?.message.contains("does not match") == true)
            await server.shutdown()
        }
    }

    @Test("A server whose chain the client does not trust: untrustedCertificate, naming the host")
    func untrusted() async throws {
        try await withTimeout {
            let server = try await TLSTests.server()
            let error = await failure(HTTPClient(), server)
            #expect(error?.kind == .tls(.untrustedCertificate))
            #expect(error?.message.contains("127.0.0.1") == true)
            await server.shutdown()
        }
    }

    @Test("An expired leaf: certificateExpired")
    func expired() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(
                issuedBy: TLSTests.authority,
                notBefore: Date(timeIntervalSinceNow: -86_400 * 3),
                notAfter: Date(timeIntervalSinceNow: -86_400)
            )
            let server = try await TLSTests.server(leaf)
            let error = await failure(TLSTests.client(), server)
            #expect(error?.kind == .tls(.certificateExpired))
            #expect(error?.message.contains("expired") == true)
            await server.shutdown()
        }
    }

    @Test("A certificate for another host: hostnameMismatch")
    func wrongHost() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(
                commonName: "other.test", hosts: ["other.test"], issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            let error = await failure(TLSTests.client(), server)
            #expect(error?.kind == .tls(.hostnameMismatch))
            await server.shutdown()
        }
    }

    /// RFC 9110 §4.3.4, RFC 9525: the subject's Common Name names no host, only subjectAltName.
    @Test(
        "A certificate naming the host only in its Common Name: hostnameMismatch",
        arguments: [[], ["127.0.0.1"]] as [[String]])
    func commonNameIgnored(hosts: [String]) async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(commonName: "cn-only.test", hosts: hosts, issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            let port = server.port
            let client = HTTPClient().with {
                $0.tls.trustRoots = [TLSTests.authority.certificate]
                $0.dnsResolver = ScriptedResolver { _, _ in [ResolvedAddress(ip: "127.0.0.1", port: port)] }
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: URL(string: "https://cn-only.test:\(port)/")!))
            }
            #expect(error?.kind == .tls(.hostnameMismatch))
            await server.shutdown()
        }
    }

    @Test("Wildcard certificates match one label only (RFC 6125)")
    func wildcard() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(
                commonName: "*.example.test", hosts: ["*.example.test"], issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            let port = server.port
            for (host, matches) in [("www.example.test", true), ("a.b.example.test", false), ("example.test", false)] {
                let client = HTTPClient().with {
                    $0.tls.trustRoots = [TLSTests.authority.certificate]
                    $0.dnsResolver = ScriptedResolver { _, _ in [ResolvedAddress(ip: "127.0.0.1", port: port)] }
                }
                let url = URL(string: "https://\(host):\(port)/")!
                do {
                    _ = try await client.send(HTTPRequest(url: url)).body.string()
                    #expect(matches, "\(host) should not match *.example.test")
                } catch let error as HTTPClientError {
                    #expect(!matches && error.kind == .tls(.hostnameMismatch), "\(host): \(error)")
                }
            }
            await server.shutdown()
        }
    }

    @Test("Pins: a pinned key in the chain passes, none fails with pinMismatch")
    func pinning() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            let leafPin = try #require(leaf.certificate.publicKeyPin)
            let rootPin = try #require(TLSTests.authority.certificate.publicKeyPin)
            for pins in [[leafPin], [rootPin], ["sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", rootPin]] {
                let client = TLSTests.client { $0.pins = ["127.0.0.1": pins] }
                #expect(try await client.send(HTTPRequest(url: server.url("/"))).body.string() == "secure /")
            }
            let pinned = TLSTests.client {
                $0.pins = ["127.0.0.1": ["sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="]]
            }
            let error = await failure(pinned, server)
            #expect(error?.kind == .tls(.pinMismatch))
            #expect(error?.message.contains(leafPin) == true)
            await server.shutdown()
        }
    }

    @Test("A pinned host is checked on every connection: pinned hosts never resume a session")
    func pinningAcrossConnections() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            let client = TLSTests.client { $0.pins = ["127.0.0.1": [try! #require(leaf.certificate.publicKeyPin)]] }
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Connection"] = "close"
            for _ in 0..<3 {
                let response = try await client.send(request)
                #expect(try await response.body.string() == "secure /")
                #expect(response.tlsHandshake?.resumed == false)
            }
            #expect(server.connectionCount == 3)
            await server.shutdown()
        }
    }

    @Test("A server that never answers the ClientHello: the connect timeout covers the handshake")
    func handshakeTimeout() async throws {
        try await withTimeout {
            let silent = try StalledReader()
            let client = TLSTests.client().with { $0.connectTimeout = .milliseconds(200) }
            let url = URL(string: "https://127.0.0.1:\(silent.port)/")!
            let error = await #expect(throws: HTTPClientError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(error?.kind == .timeout(.connect))
            #expect(error?.message.contains("TLS handshake") == true)
            #expect(await client.openConnectionCount == 0)
        }
    }

    @Test("https:// to a server that does not speak TLS: handshakeFailed")
    func notTLS() async throws {
        try await withTimeout {
            let plain = try await TestServer { _ in MockResponse(body: "plain") }
            let url = URL(string: "https://127.0.0.1:\(plain.port)/")!
            let error = await #expect(throws: HTTPClientError.self) {
                try await TLSTests.client().send(HTTPRequest(url: url))
            }
            #expect(error?.kind == .tls(.handshakeFailed))
            #expect(error?.message.contains("127.0.0.1") == true)
            await plain.shutdown()
        }
    }

    @Test("A reset during the TLS handshake: handshakeFailed, reported to listeners as connectFailed")
    func resetDuringHandshake() async throws {
        try await withTimeout {
            let server = try await HandshakeResettingServer()
            let events = EventRecorder()
            let client = TLSTests.client().with { $0.eventListener = events }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: URL(string: "https://127.0.0.1:\(server.port)/")!))
            }
            #expect(error?.kind == .tls(.handshakeFailed))
            #expect(error?.message.contains("127.0.0.1") == true)
            #expect(
                Array(events.events.prefix(4)) == ["callStart", "connectStart", "secureConnectStart", "connectFailed"])
            #expect(events.events.last == "callFailed")
            await server.shutdown()
        }
    }

    @Test("A server older than minimumVersion: protocolVersion")
    func protocolVersion() async throws {
        try await withTimeout {
            let identity = try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity
            let server = try await TestServer(tls: .init(identity: identity, maximumVersion: .tls1_2)) { _ in
                MockResponse(body: "old")
            }
            let old = try await TLSTests.client().send(HTTPRequest(url: server.url("/")))
            #expect(old.tlsHandshake?.version == .tls1_2)
            _ = try await old.body.string()
            let error = await failure(TLSTests.client { $0.minimumVersion = .tls1_3 }, server)
            #expect(error?.kind == .tls(.protocolVersion))
            await server.shutdown()
        }
    }

    @Test(
        "A TLS 1.2 server that asks to renegotiate after a response keeps the connection: later calls run the new handshake"
    )
    func renegotiationBetweenResponses() async throws {
        try await withTimeout {
            let identity = try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity
            let server = try await TestServer(tls: .init(identity: identity, maximumVersion: .tls1_2)) { request in
                MockResponse(body: "secure \(request.path)")
                    .policy(request.path == "/first" ? .renegotiateAfterResponse : .keepOpen)
            }
            let client = TLSTests.client()
            let first = try await client.send(HTTPRequest(url: server.url("/first")))
            #expect(first.tlsHandshake?.version == .tls1_2)
            #expect(try await first.body.string() == "secure /first")
            for path in ["/second", "/third"] {
                #expect(try await client.send(HTTPRequest(url: server.url(path))).body.string() == "secure \(path)")
            }
            // A HelloRequest the server could not send would have closed the connection.
            #expect(server.connectionCount == 1)
            await server.shutdown()
        }
    }

    @Test(
        "Mutual TLS: a client certificate from a trusted issuer is accepted; none is refused",
        arguments: [Transport.https, .http2])
    func mutualTLS(transport: Transport) async throws {
        try await withTimeout {
            let clientAuthority = try HeldCertificate.authority(commonName: "Client CA")
            let server = try await TLSTests.server(clientRoots: [clientAuthority.certificate])
            let clientLeaf = try HeldCertificate.leaf(
                commonName: "courier-client", hosts: [], issuedBy: clientAuthority)
            let accepted = transport.client { $0.tls.clientIdentity = clientLeaf.identity }
            let response = try await accepted.send(HTTPRequest(url: server.url("/")))
            #expect(try await response.body.string() == "secure /")
            #expect(response.version == transport.version)
            let error = await failure(transport.client(), server)
            #expect(error?.kind == .tls(.clientCertificateRejected))
            let stranger = try HeldCertificate.leaf(commonName: "stranger", hosts: [], issuedBy: nil)
            let strangerError = await failure(transport.client { $0.tls.clientIdentity = stranger.identity }, server)
            #expect(strangerError?.kind == .tls(.clientCertificateRejected))
            await server.shutdown()
        }
    }
}

@Suite("TLS connections")
struct TLSConnectionTests {
    @Test("Sessions resume on the next connection to the same address")
    func resumption() async throws {
        try await withTimeout {
            let server = try await TLSTests.server()
            let client = TLSTests.client()
            var request = HTTPRequest(url: server.url("/"))
            request.headers["Connection"] = "close"
            let first = try await client.send(request)
            _ = try await first.body.string()
            let second = try await client.send(request)
            _ = try await second.body.string()
            #expect(first.tlsHandshake?.resumed == false)
            #expect(second.tlsHandshake?.resumed == true)
            #expect(server.connectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("HTTPS connections are pooled per TLS configuration")
    func poolKey() async throws {
        try await withTimeout {
            let server = try await TLSTests.server()
            let client = TLSTests.client()
            let pinned = client.with { $0.tls.pins = ["**.test": ["sha256/unused"]] }
            for _ in 0..<3 { _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string() }
            for _ in 0..<3 { _ = try await pinned.send(HTTPRequest(url: server.url("/"))).body.string() }
            #expect(server.connectionCount == 2)
            #expect(await client.idleConnectionCount == 2)
            await server.shutdown()
        }
    }

    @Test("64 concurrent handshakes complete, each on the reactor thread (asserted in debug builds)")
    func concurrentHandshakes() async throws {
        try await withTimeout(.seconds(60)) {
            let server = try await TLSTests.server()
            let client = TLSTests.client().with { _ in }
            var configuration = HTTPClient.Configuration()
            configuration.tls.trustRoots = [TLSTests.authority.certificate]
            configuration.protocols = [.http1_1]
            configuration.maxRequestsPerHost = 64
            configuration.maxIdleConnections = 64
            let wide = HTTPClient(configuration: configuration)
            let events = HandshakeCounter()
            let counted = wide.with { $0.eventListener = events }
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<64 {
                    group.addTask { try await counted.send(HTTPRequest(url: server.url("/"))).body.string() }
                }
                for try await body in group { #expect(body == "secure /") }
            }
            #expect(events.count == server.connectionCount)
            #expect(server.connectionCount > 1)
            _ = client
            await server.shutdown()
        }
    }

    /// RFC 9112 §9.8: without `close_notify`, the end of a close-delimited body over TLS cannot be
    /// told from an attacker cutting the connection.
    @Test(
        "A close-delimited body over TLS is complete only with close_notify",
        arguments: [
            (MockResponse.SocketPolicy.closeAfterResponse, true, nil),
            (.finWithoutCloseNotify, true, HTTPClientError.ProtocolViolation.truncatedBody),
            (.finWithoutCloseNotify, false, nil),
        ] as [(MockResponse.SocketPolicy, Bool, HTTPClientError.ProtocolViolation?)]
    )
    func closeDelimitedTruncation(
        policy: MockResponse.SocketPolicy, tls: Bool, expected: HTTPClientError.ProtocolViolation?
    ) async throws {
        try await withTimeout {
            let identity = try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity
            let server = try await TestServer(tls: tls ? .init(identity: identity) : nil) { _ in
                MockResponse(raw: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nclose-delimited").policy(policy)
            }
            let response = try await TLSTests.client().send(HTTPRequest(url: server.url("/")))
            if let expected {
                let error = await #expect(throws: HTTPClientError.self) { try await response.body.string() }
                #expect(error?.kind == .protocolViolation(expected))
            } else {
                #expect(try await response.body.string() == "close-delimited")
            }
            await server.shutdown()
        }
    }
}

/// Counts completed TLS handshakes.
final class HandshakeCounter: EventListener {
    private let handshakes = Tally()

    func secureConnectEnd(_ call: CallInfo, handshake: TLSHandshake) { handshakes.record("handshake") }

    var count: Int { handshakes.all["handshake", default: 0] }
}
