import CourierCore
import CourierTransport

/// Finds a connection for the request — one from the pool with room for another exchange, or a
/// new one the pool opens through the factory — and starts an exchange on it. Nothing here
/// names a protocol: the connection hands out a codec for its own.
struct ConnectInterceptor: Interceptor {
    let pool: ConnectionPool
    let factory: ConnectionFactory
    let tls: TLSConfiguration
    let protocols: [HTTPVersion]

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        let address = Address(try request.target, tls: tls, protocols: protocols)
        let (connection, _) = try await pool.acquire(
            address, multiplexable: address.mayMultiplex, opener: factory.opener(address, call: chain.call))
        chain.call.emit { $0.connectionAcquired($1, connection: connection.info) }
        let exchange = Exchange(codec: connection.makeCodec(), connection: connection, pool: pool)
        do {
            return try await chain.proceed(request, exchange: exchange)
        } catch {
            // A network interceptor failed before the exchange began: the connection is untouched.
            if !exchange.codec.hasBegun {
                await exchange.release(reusable: true, call: chain.call)
            }
            throw error
        }
    }
}
