import Courier
import CourierTestServer
import Testing

/// Two names for the test server: both resolve to 127.0.0.1 and its certificate covers both.
private let first = "a.courier.test"
private let second = "b.courier.test"

/// A TLS test server speaking HTTP/2 (or only HTTP/1.1), with a certificate for `hosts`.
private func server(hosts: [String], http2: Bool = true) async throws -> (TestServer, HeldCertificate) {
    let leaf = try HeldCertificate.leaf(hosts: hosts, issuedBy: TLSTests.authority)
    let server = try await TestServer(
        tls: TestServer.TLS(identity: leaf.identity), protocols: http2 ? [.http2, .http1_1] : [.http1_1]
    ) { _ in MockResponse(body: "ok") }
    return (server, leaf)
}

/// A client that trusts the test authority and resolves every host to `ip` (127.0.0.1 unless `ip` says otherwise).
private func client(
    ip: @escaping @Sendable (String) -> String = { _ in "127.0.0.1" },
    configure modify: (inout HTTPClient.Configuration) -> Void = { _ in }
) -> HTTPClient {
    Transport.http2.client {
        $0.dnsResolver = ScriptedResolver { host, port in [ResolvedAddress(ip: ip(host), port: port)] }
        modify(&$0)
    }
}

private func get(_ client: HTTPClient, _ host: String, _ server: TestServer) async throws -> HTTPResponse {
    let response = try await client.send(HTTPRequest(url: URL(string: "https://\(host):\(server.port)/")!))
    #expect(try await response.body.string() == "ok")
    return response
}

@Suite("Connection coalescing")
struct ConnectionCoalescingTests {
    @Test("A second host at the same IP that the certificate covers shares the HTTP/2 connection")
    func shared() async throws {
        try await withTimeout {
            let (server, _) = try await server(hosts: [first, second])
            defer { Task { await server.shutdown() } }
            let client = client()
            #expect(try await get(client, first, server).version == .http2)
            #expect(try await get(client, second, server).version == .http2)
            #expect(try await get(client, second, server).version == .http2)
            #expect(server.connectionCount == 1)
            let authorities = try await (0..<3).asyncMap { _ in try await server.takeRequest().headers["Host"] }
            #expect(authorities == ["\(first):\(server.port)", "\(second):\(server.port)", "\(second):\(server.port)"])
        }
    }

    @Test("A 421 on a coalesced connection retries on a connection of the host's own, which it keeps")
    func misdirected() async throws {
        try await withTimeout {
            let leaf = try HeldCertificate.leaf(hosts: [first, second], issuedBy: TLSTests.authority)
            let server = try await TestServer(tls: TestServer.TLS(identity: leaf.identity)) { request in
                // The first connection is only for `first`'s origin, as a server behind one
                // certificate may route by connection.
                request.connectionIndex == 0 && request.headers["Host"]?.hasPrefix(second) == true
                    ? MockResponse(status: HTTPStatus(code: 421)) : MockResponse(body: "ok")
            }
            defer { Task { await server.shutdown() } }
            let client = client()
            _ = try await get(client, first, server)
            let retried = try await get(client, second, server)
            #expect(retried.priorResponse?.status.code == 421)
            #expect(server.connectionCount == 2)
            // Each host now has its connection, and the first is not shared again.
            #expect(try await get(client, second, server).priorResponse == nil)
            #expect(try await get(client, first, server).priorResponse == nil)
            #expect(server.connectionCount == 2)
            // Not retried: a 421 on a connection made for the host itself.
            let plain = try await TestServer(tls: TestServer.TLS(identity: leaf.identity)) { _ in
                MockResponse(status: HTTPStatus(code: 421))
            }
            defer { Task { await plain.shutdown() } }
            let response = try await client.send(HTTPRequest(url: URL(string: "https://\(first):\(plain.port)/")!))
            #expect(response.status.code == 421 && response.priorResponse == nil)
        }
    }

    @Test("A wildcard in the certificate covers a sibling host")
    func wildcard() async throws {
        try await withTimeout {
            let (server, _) = try await server(hosts: ["*.courier.test"])
            defer { Task { await server.shutdown() } }
            let client = client()
            _ = try await get(client, first, server)
            _ = try await get(client, second, server)
            #expect(server.connectionCount == 1)
        }
    }

    @Test("A host the certificate does not cover gets a connection of its own, and its handshake fails")
    func notCovered() async throws {
        try await withTimeout {
            let (server, _) = try await server(hosts: [first])
            defer { Task { await server.shutdown() } }
            let client = client()
            _ = try await get(client, first, server)
            let error = await #expect(throws: HTTPClientError.self) { try await get(client, second, server) }
            #expect(error?.kind == .tls(.hostnameMismatch))
            #expect(server.connectionCount == 2)
        }
    }

    @Test("A host pinned to a key the connection's chain lacks is not coalesced; the right pin is")
    func pins() async throws {
        try await withTimeout {
            let (server, leaf) = try await server(hosts: [first, second])
            defer { Task { await server.shutdown() } }
            let stranger = try HeldCertificate.leaf(hosts: [second], issuedBy: nil)
            let wrongPin = try #require(stranger.certificate.publicKeyPin)
            let wronglyPinned = client(configure: { $0.tls.pins = [second: [wrongPin]] })
            _ = try await get(wronglyPinned, first, server)
            let error = await #expect(throws: HTTPClientError.self) { try await get(wronglyPinned, second, server) }
            #expect(error?.kind == .tls(.pinMismatch))
            #expect(server.connectionCount == 2)

            let rightPin = try #require(leaf.certificate.publicKeyPin)
            let pinned = client(configure: { $0.tls.pins = [second: [rightPin]] })
            _ = try await get(pinned, first, server)
            _ = try await get(pinned, second, server)
            #expect(server.connectionCount == 3)
        }
    }

    @Test("A host that resolves to another IP is not coalesced")
    func otherAddress() async throws {
        try await withTimeout {
            let (server, _) = try await server(hosts: [first, second])
            defer { Task { await server.shutdown() } }
            // 127.0.0.2 is loopback too, but nothing listens there: only a connection of its own fails so.
            let client = client(ip: { $0 == second ? "127.0.0.2" : "127.0.0.1" })
            _ = try await get(client, first, server)
            let error = await #expect(throws: HTTPClientError.self) { try await get(client, second, server) }
            #expect(error?.kind == .connectionRefused)
            #expect(server.connectionCount == 1)
        }
    }

    @Test("HTTP/1.1 connections are never shared between hosts")
    func http1() async throws {
        try await withTimeout {
            let (server, _) = try await server(hosts: [first, second], http2: false)
            defer { Task { await server.shutdown() } }
            let client = client()
            #expect(try await get(client, first, server).version == .http1_1)
            _ = try await get(client, second, server)
            #expect(server.connectionCount == 2)
        }
    }

    /// The tunnel's socket reaches the proxy, here at the very IP address the direct host
    /// resolves to: the address check alone would have let the direct calls into the tunnel.
    @Test("A direct host never shares a connection tunnelled through a proxy, even at the proxy's IP address")
    func notThroughProxy() async throws {
        try await withTimeout {
            let (server, _) = try await server(hosts: ["127.0.0.1", second])
            defer { Task { await server.shutdown() } }
            let proxy = try await TestProxy()
            defer { Task { await proxy.shutdown() } }
            let client = client(configure: {
                $0.proxySelector = ProxiedHost(host: "127.0.0.1", proxy: .http(host: proxy.host, port: proxy.port))
            })
            #expect(try await get(client, "127.0.0.1", server).version == .http2)
            #expect(try await get(client, second, server).version == .http2)
            #expect(proxy.connectionCount == 1)
            #expect(server.connectionCount == 2)
        }
    }
}

/// Sends one host's calls through `proxy`, every other host's direct.
private struct ProxiedHost: ProxySelector {
    let host: String
    let proxy: Proxy

    func proxies(for url: URL) -> [Proxy] {
        url.host() == host ? [proxy] : [.direct]
    }
}

extension Range where Bound == Int {
    /// The results of `transform` for each value, one after another.
    fileprivate func asyncMap<T>(_ transform: (Int) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for value in self { results.append(try await transform(value)) }
        return results
    }
}
