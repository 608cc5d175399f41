import CourierCore
import CourierTransport

/// Finds a connection for the request: a healthy idle one from the pool, or a new one.
struct ConnectInterceptor: Interceptor {
    let pool: ConnectionPool
    let connector: Connector

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        let target = try RequestTarget(request.url)
        guard !target.isSecure else {
            throw HTTPClientError(
                .invalidURL, "\(target.scheme):// is not supported by this build of Courier yet; use http://.")
        }
        let key = ConnectionKey(scheme: target.scheme, host: target.host, port: target.port)
        let connection: HTTP1Connection
        if let pooled = await pool.acquire(key) {
            connection = pooled
        } else {
            connection = try await connector.connect(key, timeout: chain.connectTimeout)
            await pool.opened(connection)
        }
        let exchangesBefore = connection.exchangeCount
        do {
            return try await chain.proceed(request, exchange: HTTP1Exchange(connection: connection, pool: pool))
        } catch {
            // A network interceptor failed before the exchange began: the connection is untouched.
            if connection.exchangeCount == exchangesBefore {
                await pool.release(connection, reusable: true)
            }
            throw error
        }
    }
}
