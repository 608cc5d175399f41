import CourierCore
import CourierTransport

/// Finds a connection for the request: one from the pool with room for another exchange, or a
/// new one the pool opens with the connector.
struct ConnectInterceptor: Interceptor {
    let pool: ConnectionPool
    let connector: Connector
    let tls: TLSConfiguration

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        let target = try request.target
        let address = Address(
            scheme: target.scheme, host: target.host, port: target.port, tls: target.isSecure ? tls : nil)
        // The connect runs in the pool's task with this call's context (events, connect timeout),
        // and may end up serving another call that waits for the same address.
        let (connector, call) = (self.connector, chain.call)
        let (pooled, _) = try await pool.acquire(address, multiplexable: false) {
            try await connector.connect(address, call: call)
        }
        guard let connection = pooled as? HTTP1Connection else {
            preconditionFailure("the pool holds only the HTTP/1.1 connections this interceptor opens")
        }
        chain.call.emit { $0.connectionAcquired($1, connection: connection.info) }
        let exchange = HTTP1Exchange(connection: connection, pool: pool)
        let exchangesBefore = connection.exchangeCount
        do {
            return try await chain.proceed(request, exchange: exchange)
        } catch {
            // A network interceptor failed before the exchange began: the connection is untouched.
            if connection.exchangeCount == exchangesBefore {
                await exchange.release(reusable: true, call: chain.call)
            }
            throw error
        }
    }
}
