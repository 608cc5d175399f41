import CourierCore
import CourierTestServer
import Glibc
import Testing

@testable import CourierTransport

/// A server's request to renegotiate TLS 1.2 (a HelloRequest), seen from both ends of one
/// socket pair: what the client answers decides what the server's next read finds.
@Suite("TLS renegotiation")
struct TLSRenegotiationTests {
    private static let authority = try! HeldCertificate.authority()
    private static let serverLeaf = try! HeldCertificate.leaf(hosts: ["server.test"], issuedBy: authority)

    /// A client and a server over TLS 1.2 on one reactor, with `applicationProtocol` chosen by ALPN.
    private func connectedPair(
        _ applicationProtocol: String, clientIdentity: TLSIdentity? = nil
    ) async throws -> (client: TLSStream, server: TLSStream) {
        let reactor = try ReactorGroup.shared.nextReactor()
        var fds: [Int32] = [0, 0]
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        try #require(socketpair(AF_UNIX, type, 0, &fds) == 0)
        var configuration = TLSConfiguration()
        configuration.trustRoots = [Self.authority.certificate]
        configuration.clientIdentity = clientIdentity
        let clientContext = try TLSContext(client: configuration, applicationProtocols: [applicationProtocol])
        let serverContext = try Self.serverContext(applicationProtocol)
        return try await withTaskExecutorPreference(reactor) {
            let client = try TLSStream(socket: try Socket.adopt(fds[0], on: reactor), context: clientContext)
            let server = try TLSStream(socket: try Socket.adopt(fds[1], on: reactor), context: serverContext)
            let deadline = ContinuousClock.now + .seconds(10)
            async let accepted: Void = server.accept(deadline: deadline)
            _ = try await client.connect(host: "server.test", port: 443, deadline: deadline)
            try await accepted
            return (client, server)
        }
    }

    /// A TLS 1.2 server for `server.test` with a certificate the client trusts, demanding a
    /// client certificate from `clientRoots` when given.
    private static func serverContext(
        _ applicationProtocol: String, leaf: HeldCertificate = serverLeaf, clientRoots: [TLSCertificate]? = nil
    ) throws -> TLSContext {
        try TLSContext(
            server: leaf.identity, clientRoots: clientRoots, maximumVersion: .tls1_2,
            applicationProtocols: [applicationProtocol])
    }

    /// The server asks to renegotiate and sends `ping`; the client reads it; then the server
    /// reads what the client answered. Two seconds bound that read: a client that goes along
    /// completes a new handshake, after which the server waits for data that never comes.
    private func serverReadAfterRenegotiationRequest() async throws -> Result<Int, any Error> {
        let (client, server) = try await connectedPair("h2")
        return try await withTaskExecutorPreference(server.reactor) {
            #expect(try await server.requestRenegotiation(deadline: .now + .seconds(10)))
            try await server.write(ByteBuffer(string: "ping"), ByteBuffer(), deadline: .now + .seconds(10))
            var received = ReceiveBuffer()
            #expect(try await client.read(into: &received, deadline: .now + .seconds(10)) == 4)
            // The client reads on, as a connection's reader does: that sends its answer.
            let reader = Task(executorPreference: client.reactor) {
                var more = ReceiveBuffer()
                return try await client.read(into: &more, deadline: .now + .seconds(10))
            }
            var answer = ReceiveBuffer()
            let outcome: Result<Int, any Error>
            do {
                outcome = .success(try await server.read(into: &answer, deadline: .now + .seconds(2)))
            } catch {
                outcome = .failure(error)
            }
            // The server's end first: it ends the client's read, so no read waits on a socket
            // as it closes.
            server.close()
            _ = await reader.result
            client.close()
            return outcome
        }
    }

    @Test("Over HTTP/2 the client refuses with a no_renegotiation alert, and still reads what came (RFC 9113 §9.2.1)")
    func refusedOverHTTP2() async throws {
        let outcome = try await serverReadAfterRenegotiationRequest()
        // OpenSSL's server ends the connection on the refusal; had the client gone along, the
        // read would have run the new handshake and then waited out its two seconds.
        guard case .failure(let error as HTTPClientError) = outcome else {
            Issue.record("the server's read ended in \(outcome), not in the client's refusal")
            return
        }
        #expect(error.message.contains("no renegotiation"), "\(error)")
    }

    /// The server asks to renegotiate (under `context` when given) while the client sits idle.
    /// The pool's check before reuse reads the HelloRequest, so OpenSSL takes it up, and the
    /// client's next write must first finish the new handshake. Returns how many octets of that
    /// write the server read. Runs on the server's reactor.
    private func pingAfterIdleRenegotiation(
        _ client: TLSStream, _ server: TLSStream, presenting context: TLSContext? = nil
    ) async throws -> Int {
        #expect(try await server.requestRenegotiation(presenting: context, deadline: .now + .seconds(10)))
        #expect(client.isHealthy)
        let writer = Task(executorPreference: client.reactor) {
            try await client.write(ByteBuffer(string: "ping"), ByteBuffer(), deadline: .now + .seconds(10))
        }
        var request = ReceiveBuffer()
        let count = try await server.read(into: &request, deadline: .now + .seconds(10))
        try await writer.value
        #expect(!server.isRenegotiating, "the data came before the new handshake ended")
        return count
    }

    @Test("Over HTTP/1.1 the client goes along, also with a request that came while the connection was idle")
    func followedOverHTTP1() async throws {
        let (client, server) = try await connectedPair("http/1.1")
        try await withTaskExecutorPreference(server.reactor) {
            #expect(try await pingAfterIdleRenegotiation(client, server) == 4)
            try await server.write(ByteBuffer(string: "pong"), ByteBuffer(), deadline: .now + .seconds(10))
            var response = ReceiveBuffer()
            #expect(try await client.read(into: &response, deadline: .now + .seconds(10)) == 4)
            server.close()
            client.close()
        }
    }

    @Test("A server that presents another certificate when it renegotiates is refused, though that one is trusted")
    func certificateChangeRefused() async throws {
        let (client, server) = try await connectedPair("http/1.1")
        let otherLeaf = try HeldCertificate.leaf(hosts: ["server.test"], issuedBy: Self.authority)
        let other = try Self.serverContext("http/1.1", leaf: otherLeaf)
        try await withTaskExecutorPreference(server.reactor) { () async throws -> Void in
            #expect(try await server.requestRenegotiation(presenting: other, deadline: .now + .seconds(10)))
            #expect(client.isHealthy)
            let reader = Task(executorPreference: server.reactor) {
                var request = ReceiveBuffer()
                return try await server.read(into: &request, deadline: .now + .seconds(10))
            }
            let error = await #expect(throws: HTTPClientError.self) {
                try await client.write(ByteBuffer(string: "ping"), ByteBuffer(), deadline: .now + .seconds(10))
            }
            #expect(error?.kind == .tls(.handshakeFailed))
            #expect(error?.message == "The server presented another certificate when it renegotiated TLS.")
            client.close()
            // The client's alert, or its close, ends the server's handshake without the request.
            let received = try? await reader.value
            #expect(received ?? 0 == 0)
            server.close()
        }
    }

    @Test("Over HTTP/1.1 a server that renegotiates to ask for a client certificate gets the configured one")
    func clientCertificateOnRenegotiation() async throws {
        let clientAuthority = try HeldCertificate.authority(commonName: "Client CA")
        let clientLeaf = try HeldCertificate.leaf(commonName: "courier-client", hosts: [], issuedBy: clientAuthority)
        let (client, server) = try await connectedPair("http/1.1", clientIdentity: clientLeaf.identity)
        let demanding = try Self.serverContext("http/1.1", clientRoots: [clientAuthority.certificate])
        try await withTaskExecutorPreference(server.reactor) { () async throws -> Void in
            // The server's context refuses a handshake without a client certificate it trusts,
            // so the request arrives only when the client presented its own.
            #expect(try await pingAfterIdleRenegotiation(client, server, presenting: demanding) == 4)
            server.close()
            client.close()
        }
    }
}
