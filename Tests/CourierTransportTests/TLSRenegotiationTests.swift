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

    /// A client and a server over TLS 1.2 on one reactor, with `h2` chosen by ALPN.
    private func connectedPair() async throws -> (client: TLSStream, server: TLSStream) {
        let reactor = try ReactorGroup.shared.nextReactor()
        var fds: [Int32] = [0, 0]
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        try #require(socketpair(AF_UNIX, type, 0, &fds) == 0)
        let leaf = try HeldCertificate.leaf(hosts: ["server.test"], issuedBy: Self.authority)
        var configuration = TLSConfiguration()
        configuration.trustRoots = [Self.authority.certificate]
        let clientContext = try TLSContext(client: configuration, applicationProtocols: ["h2"])
        let serverContext = try TLSContext(
            server: leaf.identity, clientRoots: nil, maximumVersion: .tls1_2, applicationProtocols: ["h2"])
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

    /// The server asks to renegotiate and sends `ping`; the client reads it; then the server
    /// reads what the client answered. Two seconds bound that read: a client that goes along
    /// completes a new handshake, after which the server waits for data that never comes.
    private func serverReadAfterRenegotiationRequest() async throws -> Result<Int, any Error> {
        let (client, server) = try await connectedPair()
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
}
