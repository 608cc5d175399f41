import CourierCore
import CourierTransport
import Testing

/// The SOCKS5 handshake driven with scripted bytes: what goes out, what comes back.
@Suite("SOCKS5 handshake (RFC 1928, RFC 1929)")
struct SOCKS5HandshakeTests {
    private func handshake(
        _ host: String = "example.com", port: Int = 443, credentials: Proxy.Credentials? = nil
    ) throws -> SOCKS5Handshake {
        try SOCKS5Handshake(host: host, port: port, credentials: credentials, proxyName: "socks5h://p:1080")
    }

    /// The kind of the HTTPClientError `body` throws; nil if it throws none.
    private func failure(_ body: () throws -> Void) -> HTTPClientError.Kind? {
        do {
            try body()
            return nil
        } catch {
            return (error as? HTTPClientError)?.kind
        }
    }

    private let connectExample: [UInt8] = [5, 1, 0, 3, 11] + Array("example.com".utf8) + [0x01, 0xBB]

    @Test("No authentication: greeting, method 00, CONNECT with the host name, IPv4 reply")
    func withoutAuthentication() throws {
        var socks = try handshake()
        #expect(socks.start() == [5, 1, 0])
        #expect(try socks.receive([5]) == (.needMore, 0))
        #expect(try socks.receive([5, 0]) == (.send(connectExample), 2))
        #expect(try socks.receive([5, 0, 0, 1, 10, 0]) == (.needMore, 0))
        let reply: [UInt8] = [5, 0, 0, 1, 10, 0, 0, 7, 0x1F, 0x90]
        #expect(try socks.receive(reply) == (.established(bound: ResolvedAddress(ip: "10.0.0.7", port: 8080)), 10))
        #expect(socks.isEstablished)
    }

    @Test("Username/password: both methods offered, RFC 1929 sub-negotiation, then CONNECT")
    func withAuthentication() throws {
        var socks = try handshake(credentials: Proxy.Credentials(username: "ada", password: "pw"))
        #expect(socks.start() == [5, 2, 0, 2])
        #expect(try socks.receive([5, 2]) == (.send([1, 3] + Array("ada".utf8) + [2] + Array("pw".utf8)), 2))
        #expect(try socks.receive([1, 0]) == (.send(connectExample), 2))
        let reply: [UInt8] = [5, 0, 0, 4] + [UInt8](repeating: 0, count: 15) + [1] + [0, 80]
        #expect(try socks.receive(reply) == (.established(bound: ResolvedAddress(ip: "::1", port: 80)), 22))
    }

    @Test("A proxy may choose no authentication even when credentials were offered")
    func credentialsNotNeeded() throws {
        var socks = try handshake(credentials: Proxy.Credentials(username: "a", password: "b"))
        _ = socks.start()
        #expect(try socks.receive([5, 0]) == (.send(connectExample), 2))
    }

    @Test("IP literals go as addresses, IPv4 and IPv6")
    func addressDestinations() throws {
        var v4 = try handshake("192.0.2.1", port: 80)
        _ = v4.start()
        #expect(try v4.receive([5, 0]) == (.send([5, 1, 0, 1, 192, 0, 2, 1, 0, 80]), 2))
        var v6 = try handshake("2001:db8::1", port: 80)
        _ = v6.start()
        let address: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        #expect(try v6.receive([5, 0]) == (.send([5, 1, 0, 4] + address + [0, 80]), 2))
    }

    @Test("A domain-name reply is read to its length")
    func domainReply() throws {
        var socks = try handshake()
        _ = socks.start()
        _ = try socks.receive([5, 0])
        let reply: [UInt8] = [5, 0, 0, 3, 4] + Array("host".utf8) + [0, 1, 0xAA]
        #expect(try socks.receive(reply) == (.established(bound: ResolvedAddress(ip: "host", port: 1)), 11))
    }

    @Test(
        "Every reply code is its own error",
        arguments: [
            (UInt8(1), HTTPClientError.SOCKSReply.generalFailure),
            (2, .notAllowed), (3, .networkUnreachable), (4, .hostUnreachable), (5, .connectionRefused),
            (6, .ttlExpired), (7, .commandNotSupported), (8, .addressTypeNotSupported), (9, .unassigned(9)),
        ])
    func replyCodes(code: UInt8, reply: HTTPClientError.SOCKSReply) throws {
        var socks = try handshake()
        _ = socks.start()
        _ = try socks.receive([5, 0])
        let error = try #require(throws: HTTPClientError.self) { try socks.receive([5, code, 0, 1]) }
        #expect(error.kind == .proxy(.socksRefused(reply)))
        #expect(error.message.contains(reply.reason))
        #expect(error.message.contains("example.com:443"))
    }

    @Test("No acceptable method (FF), rejected credentials, and malformed replies")
    func failures() throws {
        var none = try handshake()
        _ = none.start()
        #expect(failure { _ = try none.receive([5, 0xFF]) } == .proxy(.socksNoAcceptableMethod))

        var rejected = try handshake(credentials: Proxy.Credentials(username: "a", password: "b"))
        _ = rejected.start()
        _ = try rejected.receive([5, 2])
        #expect(failure { _ = try rejected.receive([1, 1]) } == .proxy(.socksAuthenticationFailed))

        var version4 = try handshake()
        _ = version4.start()
        #expect(failure { _ = try version4.receive([4, 0]) } == .proxy(.protocolViolation))

        var unoffered = try handshake()
        _ = unoffered.start()
        #expect(failure { _ = try unoffered.receive([5, 2]) } == .proxy(.protocolViolation))

        var badType = try handshake()
        _ = badType.start()
        _ = try badType.receive([5, 0])
        #expect(failure { _ = try badType.receive([5, 0, 0, 9]) } == .proxy(.protocolViolation))
    }

    @Test("Names and credentials longer than SOCKS5 carries are refused before anything is sent")
    func limits() {
        #expect(failure { _ = try handshake(String(repeating: "a", count: 256)) } == .invalidRequest)
        #expect(
            failure { _ = try handshake(credentials: Proxy.Credentials(username: "", password: "x")) }
                == .invalidRequest)
    }
}
