import CourierCore
import CourierTransport

/// Turns what the connector established into a connection that speaks the negotiated protocol:
/// the one place above Transport that knows which connection types exist.
struct ConnectionFactory: Sendable {
    let connector: Connector

    func connect(_ address: Address, call: CallContext) async throws -> any PooledConnection {
        let connected = try await connector.connect(address, call: call)
        switch connected.version {
        case .http1_0, .http1_1, .http2:
            return HTTP1Connection(
                stream: connected.stream, route: connected.route, tlsHandshake: connected.tlsHandshake)
        }
    }
}
