import CourierCore
import CourierTestServer
import Foundation

/// A TLS test server and the curl arguments that trust it.
struct TLSFixture {
    let server: TestServer
    let caFile: String

    /// `--cacert` for the server's authority, and `--http2`.
    var curlArguments: [String] { ["--http2", "--cacert", caFile] }

    static func start(
        http2: HTTP2Options = HTTP2Options(), handler: TestServer.Handler? = nil
    ) async throws
        -> TLSFixture
    {
        let authority = try HeldCertificate.authority()
        let leaf = try HeldCertificate.leaf(hosts: ["127.0.0.1"], issuedBy: authority)
        let server = try await TestServer(tls: .init(identity: leaf.identity), http2: http2, handler: handler)
        return TLSFixture(server: server, caFile: try temporaryFile(authority.certificatePEM))
    }

    func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: caFile)
    }
}

/// How a test reaches the server: HTTP/2 over TLS (ALPN) or h2c with prior knowledge.
enum Transport: String, CaseIterable, Sendable {
    case h2
    case h2c
}

/// A server for `transport` and the curl arguments that make curl speak HTTP/2 to it; stopped
/// after `body` whatever happens.
func withServer<T: Sendable>(
    _ transport: Transport, http2: HTTP2Options = HTTP2Options(), handler: TestServer.Handler? = nil,
    _ body: (TestServer, [String]) async throws -> T
) async throws -> T {
    let server: TestServer
    let arguments: [String]
    let fixture: TLSFixture?
    switch transport {
    case .h2:
        let started = try await TLSFixture.start(http2: http2, handler: handler)
        (server, arguments, fixture) = (started.server, started.curlArguments, started)
    case .h2c:
        server = try await TestServer(protocols: [.http2, .http1_1], http2: http2, handler: handler)
        arguments = ["--http2-prior-knowledge"]
        fixture = nil
    }
    let result = await Result { try await body(server, arguments) }
    if let fixture { await fixture.stop() } else { await server.shutdown() }
    return try result.get()
}
