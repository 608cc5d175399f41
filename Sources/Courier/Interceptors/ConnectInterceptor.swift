import CourierCore
import CourierTransport

/// Finds a connection for the request: one from the pool with room for another exchange, or a
/// new one from the connector.
struct ConnectInterceptor: Interceptor {
    let pool: ConnectionPool
    let connector: Connector
    let tls: TLSConfiguration

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        let target = try request.target
        let address = Address(
            scheme: target.scheme, host: target.host, port: target.port, tls: target.isSecure ? tls : nil)
        let connection: HTTP1Connection
        if let pooled = await pool.acquire(address) as? HTTP1Connection {
            connection = pooled
        } else {
            connection = try await connector.connect(address, call: chain.call)
            await pool.add(connection)
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
