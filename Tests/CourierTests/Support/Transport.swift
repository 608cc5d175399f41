import Courier
import CourierTestServer
import Testing

/// How a test's calls travel: one test body runs over each, parameterised by transport instead
/// of copied per protocol.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// HTTP/1.1 over plain TCP.
    case http1
    /// HTTP/1.1 over TLS (the client offers only `http/1.1`).
    case https
    /// HTTP/2 over TLS, negotiated by ALPN.
    case http2
    /// HTTP/2 over plain TCP with prior knowledge.
    case h2c

    /// The three every call-level suite runs over.
    static let main: [Transport] = [.http1, .https, .http2]

    var testDescription: String { rawValue }

    var isSecure: Bool { self == .https || self == .http2 }

    /// Several calls share one connection.
    var multiplexes: Bool { self == .http2 || self == .h2c }

    /// The version responses report.
    var version: HTTPVersion { multiplexes ? .http2 : .http1_1 }

    /// What the client is configured to speak.
    var protocols: [HTTPVersion] {
        switch self {
        case .http1, .https: [.http1_1]
        case .http2: [.http2, .http1_1]
        case .h2c: [.http2]
        }
    }

    /// A test server speaking this transport, answering with `handler` (or its queue).
    func server(http2: HTTP2Options = HTTP2Options(), handler: TestServer.Handler? = nil) async throws -> TestServer {
        let tls =
            try isSecure ? TestServer.TLS(identity: HeldCertificate.leaf(issuedBy: TLSTests.authority).identity) : nil
        return try await TestServer(
            tls: tls, protocols: multiplexes ? [.http2, .http1_1] : [.http1_1], http2: http2, handler: handler)
    }

    /// A client configuration for this transport that trusts the test authority.
    func configuration(_ modify: (inout HTTPClient.Configuration) -> Void = { _ in }) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = [TLSTests.authority.certificate]
        configuration.protocols = protocols
        modify(&configuration)
        return configuration
    }

    func client(_ modify: (inout HTTPClient.Configuration) -> Void = { _ in }) -> HTTPClient {
        HTTPClient(configuration: configuration(modify))
    }
}
