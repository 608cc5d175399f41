import Courier
import CourierTestServer
import Testing

@Suite("TLS")
struct TLSTests {
    static let authority = try! HeldCertificate.authority()

    /// A client that trusts only the test authority.
    static func client(_ modify: (inout TLSConfiguration) -> Void = { _ in }) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = [authority.certificate]
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

    @Test("HTTPS with a custom root: TLS 1.3, ALPN http/1.1, the peer's certificate")
    func success() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(issuedBy: TLSTests.authority)
            let server = try await TLSTests.server(leaf)
            #expect(server.url("/").scheme == "https")
            let response = try await TLSTests.client().send(HTTPRequest(url: server.url("/hello")))
            #expect(try await response.body.string() == "secure /hello")
            let handshake = try #require(response.tlsHandshake)
            #expect(handshake.version == .tls1_3)
            #expect(handshake.applicationProtocol == "http/1.1")
            #expect(handshake.peerCertificates.first == leaf.certificate)
            #expect(!handshake.cipherSuite.isEmpty)
            await server.shutdown()
        }
    }
}
