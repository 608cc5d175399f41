import CourierCore
import CourierTransport

/// Finds a connection for the request — one from the pool with room for another exchange, or a
/// new one the pool opens through the factory — and starts an exchange on it. Nothing here
/// names a protocol: the connection hands out a codec for its own.
///
/// Proxies come first: the selector's choices, those that failed recently last, are tried in
/// turn until one gives a connection (OkHttp's `RouteSelector`); the first failure is thrown
/// when none does. The pool keeps connections per proxy, so it is asked once per proxy.
/// A retry of a request the server never processed waits there ahead of new requests.
struct ConnectInterceptor: Interceptor {
    let pool: ConnectionPool
    let factory: ConnectionFactory
    let tls: TLSConfiguration
    let protocols: [HTTPVersion]
    let proxies: ProxyChoice
    let routes: RouteDatabase
    let proxyCredentials: ProxyCredentials

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        let origin = Address(try request.target, tls: tls, protocols: protocols)
        let url = request.url
        chain.call.emit { $0.proxySelectStart($1, url: url) }
        let candidates = routes.order(proxies.proxies(for: url))
        chain.call.emit { $0.proxySelectEnd($1, url: url, proxies: candidates) }
        var firstFailure: HTTPClientError?
        for proxy in candidates {
            let address = ConnectInterceptor.address(
                origin, through: proxy, upgrading: request.headers.contains("Upgrade"))
            let connection: any PooledConnection
            do {
                (connection, _) = try await pool.acquire(
                    address, multiplexable: address.mayMultiplex, ahead: chain.call.lastExchange.unprocessed,
                    opener: factory.opener(address, call: chain.call))
            } catch let failure as HTTPClientError {
                firstFailure = firstFailure ?? failure
                continue
            }
            return try await exchange(
                proxyHeaders(request, on: connection, after: chain.call.lastExchange), on: connection, chain: chain)
        }
        throw firstFailure!
    }

    /// `origin` through `proxy`. A cleartext request that asks to upgrade (a `ws://` handshake,
    /// which arrives here as `http://`) is for a `ws` address: an HTTP proxy tunnels it, since a
    /// forwarding proxy would not pass the upgrade on.
    private static func address(_ origin: Address, through proxy: Proxy, upgrading: Bool) -> Address {
        guard upgrading, proxy.kind == .http, origin.tls == nil, origin.scheme == "http" else {
            return origin.through(proxy)
        }
        return Address(
            scheme: "ws", host: origin.host, port: origin.port, tls: nil, protocols: origin.protocols, proxy: proxy)
    }

    /// `Proxy-Authorization` goes to a forwarding proxy, the one kept for it (or given with it)
    /// when the request has none, and never anywhere else: not to an origin, not into a tunnel,
    /// nor to another proxy than the one whose 407 it answers (`last`: a follow-up to proxy A's
    /// 407 that falls back to proxy B when A cannot be reached again).
    private func proxyHeaders(
        _ request: HTTPRequest, on connection: any PooledConnection, after last: CallContext.ExchangeFacts
    ) -> HTTPRequest {
        let address = connection.info.route.address
        var request = request
        if let earlier = last.forwardingProxy, earlier != address.proxy {
            request.headers.remove("Proxy-Authorization")
        }
        if address.isForwardedByProxy {
            if let value = request.headers["Proxy-Authorization"] {
                proxyCredentials.remember(value, for: address.proxy)
            } else if let value = proxyCredentials.value(for: address.proxy) ?? address.proxy.preemptiveAuthorization {
                request.headers["Proxy-Authorization"] = value
            }
        } else if request.headers.contains("Proxy-Authorization") {
            request.headers.remove("Proxy-Authorization")
        }
        return request
    }

    private func exchange(
        _ request: HTTPRequest, on connection: any PooledConnection, chain: Chain
    ) async throws -> HTTPResponse {
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
