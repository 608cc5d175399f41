package import CourierCore
import Glibc

/// Opens new connections: resolve the host, then race connection attempts over its routes the
/// way RFC 8305 ("Happy Eyeballs") does.
///
/// The first attempt starts at once; each next one starts when the previous fails or after
/// `attemptDelay` (250 ms), whichever comes first. The first connection established wins; the
/// other attempts are cancelled and their sockets closed. Each attempt has its own connect
/// timeout. Failed routes are remembered and tried last next time.
package struct Connector: Sendable {
    package let resolver: any DNSResolver
    package let reactors: ReactorGroup
    package let routes: RouteDatabase
    package let tlsContexts: TLSContextCache
    /// How long an attempt gets before the next one starts alongside it (RFC 8305 §5).
    package let attemptDelay: Duration
    /// RFC 8305 §8: a Connection Attempt Delay "MUST NOT be less than 10 milliseconds", lest a
    /// client open every connection at once; a smaller setting is raised to it.
    package static let minimumAttemptDelay: Duration = .milliseconds(10)
    /// Answers an HTTP proxy's 407 to `CONNECT`.
    package let proxyAuthenticator: (any Authenticator)?
    /// What each HTTP proxy last accepted as `Proxy-Authorization`.
    package let proxyCredentials: ProxyCredentials
    /// Sent with `CONNECT`, as OkHttp does: some proxies filter on it.
    package let userAgent: String?

    /// `CONNECT`s one connection attempt may send: the first, and one per authenticator answer.
    /// OkHttp allows 21; an authenticator that keeps inventing credentials is stopped here.
    static let maxTunnelAttempts = 21

    package init(
        resolver: any DNSResolver,
        routes: RouteDatabase = RouteDatabase(),
        tlsContexts: TLSContextCache = TLSContextCache(),
        attemptDelay: Duration = .milliseconds(250),
        reactors: ReactorGroup = .shared,
        proxyAuthenticator: (any Authenticator)? = nil,
        proxyCredentials: ProxyCredentials = ProxyCredentials(),
        userAgent: String? = nil
    ) {
        self.attemptDelay = max(attemptDelay, Connector.minimumAttemptDelay)
        self.resolver = resolver
        self.routes = routes
        self.tlsContexts = tlsContexts
        self.reactors = reactors
        self.proxyAuthenticator = proxyAuthenticator
        self.proxyCredentials = proxyCredentials
        self.userAgent = userAgent
    }

    private enum Attempt: Sendable {
        case connected(Socket, Route)
        case failed(Route, any Error)
        /// The delay after attempt `index` ran out; only counts if no attempt started since.
        case delayElapsed(after: Int)
    }

    /// A connected stream to `address`, secured when the address says so, with the protocol
    /// to speak on it: what ALPN chose over TLS (HTTP/1.1 when the server chose nothing), and
    /// over cleartext the address's ``Address/cleartextProtocol``. `addresses` are the host's, as ``resolve(_:call:)`` found them: the pool looks them up
    /// first to see whether a connection it has to another host may serve this one.
    ///
    /// Through a proxy, `addresses` is empty and the proxy's host is resolved instead; the routes
    /// are the proxy's addresses. A SOCKS5 handshake or an HTTP `CONNECT` then makes the socket a
    /// tunnel to the origin, and TLS runs inside it, verified against the origin's name.
    package func connect(
        _ address: Address, to addresses: [ResolvedAddress], call: CallContext
    ) async throws -> ConnectedStream {
        guard !address.proxy.isDirect else {
            let plan = RoutePlanner.plan(address, addresses: addresses, database: routes)
            // The TCP connect and the TLS handshake in one visit to a reactor: each visit is a
            // thread hand-off there and one back. No user code runs on the way but event
            // listeners, which may run on the reactor (see Docs/Architecture.md); a proxy's
            // authenticator might, so a connection through a proxy is not pinned.
            guard let reactor = try? reactors.nextReactor() else {
                return try await establish(address, plan: plan, on: nil, call: call)
            }
            return try await withTaskExecutorPreference(reactor) {
                try await establish(address, plan: plan, on: reactor, call: call)
            }
        }
        let proxyAddresses: [ResolvedAddress]
        do {
            proxyAddresses = try await resolve(host: address.proxy.host, port: address.proxy.port, call: call)
        } catch {
            if !(error is CancellationError) { routes.failed(address.proxy) }
            throw error
        }
        return try await establish(
            address, plan: RoutePlanner.plan(address, addresses: proxyAddresses, database: routes), on: nil,
            call: call)
    }

    /// Connects over the routes of `plan` (on `reactor` when given, else on the group's next),
    /// opens a tunnel through the proxy when there is one, and secures the connection when the
    /// address says so.
    ///
    /// A TLS handshake that fails on the way there (reset, closed, timed out, refused by an
    /// alert) says the route is bad, not the server's identity: the route is marked failed and
    /// the others are raced again, as OkHttp does; a server behind several addresses often has
    /// one broken one (a blackholed path MTU, a stale load balancer). A failed verification is
    /// the server's answer whatever the address and ends the connect.
    private func establish(
        _ address: Address, plan: [Route], on reactor: Reactor?, call: CallContext
    ) async throws -> ConnectedStream {
        guard !plan.isEmpty else {
            throw HTTPClientError(.dnsFailure, "Host \(address.host) resolved to no address.")
        }
        var untried = plan
        var tlsFailure: (any Error)?
        while true {
            var socket: Socket
            var route: Route
            do {
                (socket, route) = try await proxyStep(address.proxy) {
                    try await race(untried, on: reactor, call: call)
                }
            } catch {
                // After a broken handshake, the server's own answer says more than the
                // routes that could not be reached at all.
                throw tlsFailure ?? error
            }
            do {
                (socket, route) = try await proxyStep(address.proxy) {
                    try await openTunnel(socket, route: route, plan: plan, call: call)
                }
            } catch {
                call.emit { $0.connectFailed($1, route: route, error: error) }
                throw error
            }
            if !address.proxy.isDirect { routes.connected(through: address.proxy) }
            guard let tls = address.tls else {
                routes.connected(route)
                let version = address.isForwardedByProxy ? .http1_1 : address.cleartextProtocol
                call.emit { $0.connectEnd($1, route: route, version: version) }
                return ConnectedStream(
                    stream: socket, route: route, tlsHandshake: nil, version: version, serverIdentity: nil)
            }
            let stream: TLSStream
            let handshake: TLSHandshake
            do {
                (stream, handshake) = try await secure(socket, route: route, address: address, tls: tls, call: call)
            } catch  where address.proxy.isDirect && Connector.blamesRoute(error) {
                // Through a proxy the route is the proxy's address, not the origin's: not its fault.
                routes.failed(route)
                let first = tlsFailure ?? error
                tlsFailure = first
                // Only routes not known to fail: those the race already found dead stay out.
                untried.removeAll { $0 == route || routes.hasFailed($0) }
                if untried.isEmpty { throw first }
                continue
            }
            routes.connected(route)
            let version: HTTPVersion = handshake.applicationProtocol == "h2" ? .http2 : .http1_1
            call.emit { $0.connectEnd($1, route: route, version: version) }
            return ConnectedStream(
                stream: stream, route: route, tlsHandshake: handshake, version: version,
                serverIdentity: stream.identity)
        }
    }

    /// Runs a step that talks to the proxy (reaching it, opening the tunnel): its failure, not
    /// the origin's later TLS failure, puts the proxy last for every origin.
    private func proxyStep<T>(_ proxy: Proxy, _ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch {
            if !proxy.isDirect, !(error is CancellationError) { routes.failed(proxy) }
            throw error
        }
    }

    /// Whether a failed TLS handshake is the route's fault, so another address may do better:
    /// the connection broke or stalled, or the handshake failed without a verdict on the
    /// server's certificate (OkHttp's rule). Never for cancellation, a certificate, a pin or our
    /// own configuration.
    static func blamesRoute(_ error: any Error) -> Bool {
        switch (error as? HTTPClientError)?.kind {
        case .connectionReset, .connectionClosed, .connectFailed, .timeout(.connect), .tls(.handshakeFailed):
            true
        default:
            error is SocketError
        }
    }

    /// Makes a socket connected to the route's proxy a tunnel to the origin, when the address
    /// needs one; the socket is closed if that fails. A proxy that answers `CONNECT` with a 407
    /// and closes gets its next `CONNECT` on a new connection, over the same plan.
    private func openTunnel(
        _ socket: Socket, route: Route, plan: [Route], call: CallContext
    ) async throws -> (Socket, Route) {
        let address = route.address
        // No call deadline, as for every step of a connect: the pool may keep it for other calls.
        let timeout = IOTimeout(call.settings.connectTimeout)
        switch address.proxy.kind {
        case .direct:
            return (socket, route)
        case .http where !address.requiresTunnel:
            return (socket, route)
        case .socks5:
            do {
                try await withTaskExecutorPreference(socket.reactor) {
                    try await SOCKS5Tunnel.open(socket, to: address, timeout: timeout)
                }
                return (socket, route)
            } catch {
                socket.close()
                throw error
            }
        case .http:
            var (socket, route) = (socket, route)
            let proxy = address.proxy
            var authorization = proxyCredentials.value(for: proxy) ?? proxy.preemptiveAuthorization
            for _ in 0..<Connector.maxTunnelAttempts {
                let request = HTTPTunnel.request(for: address, proxyAuthorization: authorization)
                let outcome: HTTPTunnel.Outcome
                do {
                    outcome = try await withTaskExecutorPreference(socket.reactor) { [socket, userAgent] in
                        try await HTTPTunnel.open(
                            socket, request: request, userAgent: userAgent, proxy: proxy, timeout: timeout)
                    }
                } catch {
                    socket.close()
                    throw error
                }
                switch outcome {
                case .open:
                    if let authorization { proxyCredentials.remember(authorization, for: proxy) }
                    return (socket, route)
                case .challenged(let response, let reusable):
                    if let authorization { proxyCredentials.forget(authorization, for: proxy) }
                    let offered: String?
                    do {
                        offered = try await proxyAuthenticator?.authenticate(response)?.headers["Proxy-Authorization"]
                    } catch {
                        socket.close()
                        throw error
                    }
                    guard let offered, offered != authorization else {
                        socket.close()
                        throw HTTPClientError(
                            .proxy(.authenticationRequired),
                            authorization == nil
                                ? "Proxy \(proxy) requires authentication (407) and no proxyAuthenticator answered it."
                                : "Proxy \(proxy) rejected the credentials offered (407).",
                            response: response, closeReason: nil)
                    }
                    authorization = offered
                    if !reusable {
                        socket.close()
                        (socket, route) = try await race(plan, on: nil, call: call)
                    }
                }
            }
            socket.close()
            throw HTTPClientError(
                .proxy(.authenticationRequired),
                "Proxy \(proxy) still asked for credentials after \(Connector.maxTunnelAttempts) CONNECT requests.")
        }
    }

    /// The TLS handshake on a connected socket, bounded by the connect timeout. A failure closes
    /// the socket and fails the connect, as in OkHttp: listeners see `connectFailed`.
    private func secure(
        _ socket: Socket,
        route: Route,
        address: Address,
        tls: TLSConfiguration,
        call: CallContext
    ) async throws -> (TLSStream, TLSHandshake) {
        call.emit { $0.secureConnectStart($1) }
        do {
            let context = try await tlsContexts.context(
                for: tls, applicationProtocols: address.protocols.compactMap(\.applicationProtocolID))
            let stream = try TLSStream(socket: socket, context: context)
            let deadline = call.settings.connectTimeout.map { ContinuousClock.now + $0 }
            do {
                let handshake = try await withTaskExecutorPreference(socket.reactor) {
                    try await stream.connect(host: address.host, port: address.port, deadline: deadline)
                }
                call.emit { $0.secureConnectEnd($1, handshake: handshake) }
                return (stream, handshake)
            } catch ReactorError.timedOut {
                stream.close()
                throw HTTPClientError(.timeout(.connect), "Timed out in the TLS handshake with \(address.host).")
            } catch {
                stream.close()
                throw error
            }
        } catch {
            socket.close()
            call.emit { $0.connectFailed($1, route: route, error: error) }
            throw error
        }
    }

    /// The host's addresses; an IP literal is its own address, with no lookup and no DNS events (as in OkHttp).
    /// Through a proxy, none: the proxy's host is resolved when connecting, and the origin's by
    /// the proxy itself (an HTTP proxy, or SOCKS5 sent the name), so nothing can be coalesced.
    package func resolve(_ address: Address, call: CallContext) async throws -> [ResolvedAddress] {
        guard address.proxy.isDirect else { return [] }
        return try await resolve(host: address.host, port: address.port, call: call)
    }

    private func resolve(host: String, port: Int, call: CallContext) async throws -> [ResolvedAddress] {
        if SocketAddress(numericHost: host, port: port) != nil {
            return [ResolvedAddress(ip: host, port: port)]
        }
        call.emit { $0.dnsStart($1, host: host) }
        let addresses = try await resolver.resolve(host: host, port: port)
        call.emit { $0.dnsEnd($1, host: host, addresses: addresses) }
        return addresses
    }

    private func race(_ plan: [Route], on pinned: Reactor?, call: CallContext) async throws -> (Socket, Route) {
        let timeout = call.settings.connectTimeout
        return try await withThrowingTaskGroup(of: Attempt.self) { group in
            var next = 0
            var running = 0
            var failures: [(Route, any Error)] = []
            func startNext() {
                let route = plan[next]
                next += 1
                running += 1
                call.emit { $0.connectStart($1, route: route) }
                do {
                    let reactor = try pinned ?? reactors.nextReactor()
                    group.addTask(executorPreference: reactor) {
                        await Connector.attempt(route, on: reactor, timeout: timeout)
                    }
                } catch {
                    group.addTask { .failed(route, error) }
                }
                if next < plan.count {
                    let started = next
                    let delay = attemptDelay
                    group.addTask {
                        try await Task.sleep(for: delay)
                        return .delayElapsed(after: started)
                    }
                }
            }
            startNext()
            while let result = await group.nextResult() {
                // Only the delay timers throw, and only when the call is cancelled.
                guard case .success(let attempt) = result else {
                    await Connector.drain(&group)
                    throw CancellationError()
                }
                switch attempt {
                case .connected(let socket, let route):
                    await Connector.drain(&group)
                    return (socket, route)
                case .failed(let route, let error):
                    running -= 1
                    if error is CancellationError {
                        await Connector.drain(&group)
                        throw error
                    }
                    // A route that failed is tried last next time; not for our own exhaustion.
                    if (error as? SocketError)?.isResourceExhaustion != true { routes.failed(route) }
                    failures.append((route, error))
                    call.emit { $0.connectFailed($1, route: route, error: Connector.describe(error, route: route)) }
                    if next < plan.count {
                        startNext()
                    } else if running == 0 {
                        await Connector.drain(&group)
                        throw Connector.failure(plan[0].address, failures)
                    }
                case .delayElapsed(let started):
                    if started == next && next < plan.count { startNext() }
                }
            }
            try Task.checkCancellation()
            throw Connector.failure(plan[0].address, failures)
        }
    }

    /// Cancels the attempts and timers still running and closes every connection that
    /// completed anyway, now rather than whenever its socket is deinitialised.
    private static func drain(_ group: inout ThrowingTaskGroup<Attempt, any Error>) async {
        group.cancelAll()
        while let result = await group.nextResult() {
            if case .success(.connected(let socket, _)) = result { socket.close() }
        }
    }

    /// One connection attempt, on the reactor it will belong to.
    private static func attempt(_ route: Route, on reactor: Reactor, timeout: Duration?) async -> Attempt {
        guard let socketAddress = route.socketAddress.socketAddress else {
            return .failed(route, SocketError(errno: EINVAL, operation: "parse address \(route.socketAddress.ip)"))
        }
        do {
            let socket = try await Socket.connect(to: socketAddress, on: reactor, deadline: timeout.map { .now + $0 })
            return .connected(socket, route)
        } catch {
            return .failed(route, error)
        }
    }

    private static func describe(_ error: any Error, route: Route) -> any Error {
        switch error {
        case ReactorError.timedOut:
            HTTPClientError(
                .timeout(.connect), "Timed out connecting to \(route.address.host) at \(route.socketAddress).")
        case let error as SocketError where error.errno == ECONNREFUSED:
            HTTPClientError(.connectionRefused, "\(route.socketAddress) refused the connection.")
        case let error as SocketError:
            HTTPClientError(.connectFailed, "Could not connect to \(route.socketAddress): \(error).")
        default:
            error
        }
    }

    /// The error for a host none of whose routes accepted a connection, named after what went
    /// wrong with all of them — all of those the host had a say in: a family this machine cannot
    /// reach at all (no route, no source address, no IPv6) says nothing about the host, so
    /// `localhost` refusing on 127.0.0.1 is refused even where `::1` is unreachable.
    static func failure(_ address: Address, _ failures: [(Route, any Error)]) -> HTTPClientError {
        let detail = failures.map { "\($0.0.socketAddress): \($0.1)" }.joined(separator: "; ")
        let host =
            address.proxy.isDirect
            ? "\(address.host) port \(address.port)"
            : "proxy \(address.proxy.host) port \(address.proxy.port) (for \(address.host) port \(address.port))"
        let local: Set<Int32> = [ENETUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT]
        let answered = failures.filter { !local.contains(($0.1 as? SocketError)?.errno ?? 0) }
        if !answered.isEmpty && answered.allSatisfy({ ($0.1 as? SocketError)?.errno == ECONNREFUSED }) {
            return HTTPClientError(.connectionRefused, "Connection to \(host) refused (\(detail)).")
        }
        if !answered.isEmpty && answered.allSatisfy({ ($0.1 as? ReactorError) == .timedOut }) {
            return HTTPClientError(.timeout(.connect), "Timed out connecting to \(host) (\(detail)).")
        }
        return HTTPClientError(.connectFailed, "Could not connect to \(host): \(detail).")
    }
}
