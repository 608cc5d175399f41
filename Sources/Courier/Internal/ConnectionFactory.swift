import CourierCore
import CourierHTTP2
import CourierTransport

/// Turns what the connector established into a connection that speaks the negotiated protocol:
/// the one place above Transport that knows which connection types exist.
///
/// A class: every call's opener holds it, and a reference costs one retain where the structs
/// inside would cost several.
final class ConnectionFactory: Sendable {
    let connector: Connector
    let http2: HTTP2Configuration
    let pool: ConnectionPool

    init(connector: Connector, http2: HTTP2Configuration, pool: ConnectionPool) {
        self.connector = connector
        self.http2 = http2
        self.pool = pool
    }

    /// How the pool opens a connection to `address` for `call`: with its events and its
    /// connect timeout, though the connection may end up serving another call.
    func opener(_ address: Address, call: CallContext) -> some ConnectionOpener {
        Opener(factory: self, address: address, call: call)
    }

    private struct Opener: ConnectionOpener {
        let factory: ConnectionFactory
        let address: Address
        let call: CallContext

        func resolve() async throws -> [ResolvedAddress] {
            try await factory.connector.resolve(address, call: call)
        }

        func connect(to addresses: [ResolvedAddress]) async throws -> any PooledConnection {
            try await factory.connect(address, to: addresses, call: call)
        }
    }

    private func connect(
        _ address: Address, to addresses: [ResolvedAddress], call: CallContext
    ) async throws -> any PooledConnection {
        let connected = try await connector.connect(address, to: addresses, call: call)
        switch connected.version {
        case .http1_0, .http1_1:
            return HTTP1Connection(
                stream: connected.stream, route: connected.route, tlsHandshake: connected.tlsHandshake)
        case .http2:
            let pool = self.pool
            let connection = HTTP2Connection(
                stream: connected.stream, route: connected.route, tlsHandshake: connected.tlsHandshake,
                serverIdentity: connected.serverIdentity, configuration: http2
            ) { connection, event in
                // On the connection's reader task: the pool hears of it in its own time.
                Task {
                    switch event {
                    case .capacityChanged: await pool.capacityChanged(connection)
                    case .draining: await pool.draining(connection)
                    case .closed: await pool.closed(connection)
                    }
                }
            }
            // The server's SETTINGS (its stream limit) belong to connecting, like the TLS handshake.
            // Not bounded by this call's deadline: the pool keeps a connect for the other calls
            // waiting on it when this one gives up, and each of them is bounded by its own.
            try await connection.start(timeout: IOTimeout(call.settings.connectTimeout))
            return connection
        }
    }
}
