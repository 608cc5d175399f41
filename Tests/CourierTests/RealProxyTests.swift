import Courier
import CourierTestServer
import Foundation
import Synchronization
import Testing

/// Calls through real proxies the tests start on loopback: tinyproxy for HTTP forwarding and
/// CONNECT, dante for SOCKS5. Origins are test servers; the https one has a certificate for
/// 127.0.0.1 that the client verifies inside the tunnel.
@Suite("Real proxies", .enabled(if: ProxyProcess.realProxiesInstalled))
struct RealProxyTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case tinyproxy, tinyproxyWithAuth, dante, danteWithAuth
        var testDescription: String { rawValue }
    }

    /// Starts the proxy and gives the configured client for it.
    static func start(_ kind: Kind) async throws -> (ProxyProcess, HTTPClient) {
        var configuration = HTTPClient.Configuration()
        configuration.tls.trustRoots = [ProxyTests.authority.certificate]
        let process: ProxyProcess
        switch kind {
        case .tinyproxy:
            process = try await ProxyProcess.tinyproxy()
            configuration.proxy = .http(host: "127.0.0.1", port: process.port)
        case .tinyproxyWithAuth:
            process = try await ProxyProcess.tinyproxy(basicAuth: ("u", "p"))
            configuration.proxy = .http(host: "127.0.0.1", port: process.port)
            configuration.proxyAuthenticator = BasicAuthenticator(username: "u", password: "p")
        case .dante:
            process = try await ProxyProcess.dante()
            configuration.proxy = .socks5(host: "127.0.0.1", port: process.port)
        case .danteWithAuth:
            process = try await ProxyProcess.dante(usernameAuthentication: true)
            configuration.proxy = .socks5(
                host: "127.0.0.1", port: process.port, username: SOCKSTestUser.name, password: SOCKSTestUser.password)
        }
        return (process, HTTPClient(configuration: configuration))
    }

    @Test("GET over http:// through the proxy", arguments: Kind.allCases)
    func plainGet(kind: Kind) async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            let (proxy, client) = try await RealProxyTests.start(kind)
            let response = try await client.send(HTTPRequest(url: origin.url("/plain")))
            #expect(try await response.body.string() == "origin /plain")
            let arrived = try await origin.takeRequest()
            #expect(arrived.target == "/plain")
            #expect(!arrived.headers.contains("Proxy-Authorization"))
            await client.shutdown()
            await proxy.stop()
            await origin.shutdown()
        }
    }

    @Test(
        "GET over https:// through a tunnel, TLS verified against the origin, HTTP/2 by ALPN", arguments: Kind.allCases)
    func secureGet(kind: Kind) async throws {
        try await withTimeout {
            let origin = try await ProxyTests.tlsServer()
            let (proxy, client) = try await RealProxyTests.start(kind)
            var request = HTTPRequest(url: origin.url("/secure"))
            request.headers["Authorization"] = "Bearer origin-only"
            let response = try await client.send(request)
            #expect(response.version == .http2)
            #expect(try await response.body.string() == "origin /secure HTTP/2")
            #expect(response.tlsHandshake?.peerCertificates.isEmpty == false)
            let arrived = try await origin.takeRequest()
            #expect(arrived.headers["Authorization"] == "Bearer origin-only")
            #expect(!arrived.headers.contains("Proxy-Authorization"))
            await client.shutdown()
            await proxy.stop()
            await origin.shutdown()
        }
    }

    @Test(
        "tinyproxy's 407 without a proxyAuthenticator: the 407 response for http://, proxy(.authenticationRequired) for https://"
    )
    func tinyproxyAuthenticationRequired() async throws {
        try await withTimeout {
            let (plain, secure) = (try await ProxyTests.plainServer(), try await ProxyTests.tlsServer())
            let (proxy, client) = try await RealProxyTests.start(.tinyproxyWithAuth)
            let anonymous = client.with { $0.proxyAuthenticator = nil }
            let response = try await anonymous.send(HTTPRequest(url: plain.url("/")))
            #expect(response.status.code == 407)
            _ = try await response.body.string()
            let error = await #expect(throws: HTTPClientError.self) {
                try await anonymous.send(HTTPRequest(url: secure.url("/")))
            }
            #expect(error?.kind == .proxy(.authenticationRequired))
            #expect(error?.response?.headers["Proxy-Authenticate"]?.hasPrefix("Basic") == true)
            #expect(secure.connectionCount == 0)
            #expect(await anonymous.openConnectionCount == 0)
            await proxy.stop()
            await plain.shutdown()
            await secure.shutdown()
        }
    }

    @Test("tinyproxy's 403 to a CONNECT port it does not allow is proxy(.tunnelRefused(status: 403))")
    func tinyproxyForbidden() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.tlsServer()
            let proxy = try await ProxyProcess.tinyproxy(connectPorts: [443])
            var configuration = HTTPClient.Configuration()
            configuration.proxy = .http(host: "127.0.0.1", port: proxy.port)
            let client = HTTPClient(configuration: configuration)
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.send(HTTPRequest(url: origin.url("/")))
            }
            #expect(error?.kind == .proxy(.tunnelRefused(status: 403)))
            #expect(error?.response?.status.code == 403)
            #expect(origin.connectionCount == 0)
            #expect(await client.openConnectionCount == 0)
            await proxy.stop()
            await origin.shutdown()
        }
    }

    @Test("dante: a wrong password is proxy(.socksAuthenticationFailed), none at all proxy(.socksNoAcceptableMethod)")
    func danteAuthenticationRefused() async throws {
        try await withTimeout {
            let origin = try await ProxyTests.plainServer()
            let (proxy, client) = try await RealProxyTests.start(.danteWithAuth)
            let wrong = client.with {
                $0.proxy = .socks5(host: "127.0.0.1", port: proxy.port, username: SOCKSTestUser.name, password: "wrong")
            }
            let refused = await #expect(throws: HTTPClientError.self) {
                try await wrong.send(HTTPRequest(url: origin.url("/")))
            }
            #expect(refused?.kind == .proxy(.socksAuthenticationFailed))
            let anonymous = client.with { $0.proxy = .socks5(host: "127.0.0.1", port: proxy.port) }
            let unacceptable = await #expect(throws: HTTPClientError.self) {
                try await anonymous.send(HTTPRequest(url: origin.url("/")))
            }
            #expect(unacceptable?.kind == .proxy(.socksNoAcceptableMethod))
            #expect(origin.connectionCount == 0)
            #expect(await client.openConnectionCount == 0)
            await proxy.stop()
            await origin.shutdown()
        }
    }

    @Test(
        "dante: a host name it cannot resolve is proxy(.socksRefused(.hostUnreachable)), resolved by the proxy, not here"
    )
    func danteHostUnreachable() async throws {
        try await withTimeout {
            let (proxy, client) = try await RealProxyTests.start(.dante)
            let resolver = CountingResolver()
            let counted = client.with { $0.dnsResolver = resolver }
            let error = await #expect(throws: HTTPClientError.self) {
                try await counted.send(HTTPRequest(url: URL(string: "https://nonexistent.invalid/")!))
            }
            #expect(error?.kind == .proxy(.socksRefused(.hostUnreachable)))
            #expect(error?.message.contains("nonexistent.invalid:443") == true)
            #expect(resolver.hosts.isEmpty)
            #expect(await client.openConnectionCount == 0)
            await proxy.stop()
        }
    }

    @Test("A SOCKS5 proxy nobody listens on is connectionRefused")
    func socksNothingListening() async throws {
        try await withTimeout {
            // A port bound and not listening refuses every connection, and no parallel test can
            // take it meanwhile (a port whose proxy was just stopped could be reused at once).
            let closed = try LoopbackListener(backlog: nil)
            defer { close(closed.fd) }
            var configuration = HTTPClient.Configuration()
            configuration.proxy = .socks5(host: "127.0.0.1", port: closed.port)
            let error = await #expect(throws: HTTPClientError.self) {
                try await HTTPClient(configuration: configuration).send(
                    HTTPRequest(url: URL(string: "http://127.0.0.1:9/")!))
            }
            #expect(error?.kind == .connectionRefused)
        }
    }

    @Test(
        "A proxy that goes away mid-body fails the read; the connection is closed, nothing pooled",
        arguments: [Kind.tinyproxy, .dante])
    func proxyGoneMidTunnel(kind: Kind) async throws {
        try await withTimeout {
            let identity = try HeldCertificate.leaf(issuedBy: ProxyTests.authority).identity
            let origin = try await TestServer(tls: .init(identity: identity), protocols: [.http1_1]) { _ in
                MockResponse(length: 64 << 20) { writer in
                    for _ in 0..<1024 { try await writer.write([UInt8](repeating: 0x61, count: 64 << 10)) }
                }
            }
            let (proxy, client) = try await RealProxyTests.start(kind)
            let response = try await client.send(HTTPRequest(url: origin.url("/big")))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            await proxy.stop()
            let error = await #expect(throws: HTTPClientError.self) {
                while try await iterator.next() != nil {}
            }
            #expect(
                [.protocolViolation(.truncatedBody), .connectionReset].contains(error?.kind),
                "\(String(describing: error))")
            #expect(await client.openConnectionCount == 0)
            await origin.shutdown()
        }
    }
}

/// A resolver that records what it was asked and resolves nothing but loopback.
final class CountingResolver: DNSResolver, Sendable {
    private let asked = Mutex<[String]>([])

    var hosts: [String] { asked.withLock { $0 } }

    func resolve(host: String, port: Int) async throws -> [ResolvedAddress] {
        asked.withLock { $0.append(host) }
        return [ResolvedAddress(ip: "127.0.0.1", port: port)]
    }
}
