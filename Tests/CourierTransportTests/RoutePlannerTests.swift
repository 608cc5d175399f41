import CourierCore
import Glibc
import Testing

@testable import CourierTransport

@Suite("Route planning")
struct RoutePlannerTests {
    let address = Address(scheme: "http", host: "example.test", port: 80)

    @Test("Families interleave from the resolver's first address's, each in resolver order (RFC 8305 §4)")
    func interleaving() {
        let resolved = ["2001:db8::1", "2001:db8::2", "10.0.0.1", "10.0.0.2", "10.0.0.3"].map {
            ResolvedAddress(ip: $0, port: 80)
        }
        let plan = RoutePlanner.plan(address, addresses: resolved, database: RouteDatabase())
        #expect(plan.map(\.socketAddress.ip) == ["2001:db8::1", "10.0.0.1", "2001:db8::2", "10.0.0.2", "10.0.0.3"])
        // RFC 6724 put IPv4 first (no IPv6 source address, or gai.conf): so does the plan.
        let ipv4First = RoutePlanner.plan(
            address, addresses: Array(resolved[2...] + resolved[..<2]), database: RouteDatabase())
        #expect(
            ipv4First.map(\.socketAddress.ip) == ["10.0.0.1", "2001:db8::1", "10.0.0.2", "2001:db8::2", "10.0.0.3"])
    }

    @Test("Routes that failed go last until they connect again")
    func failedRoutesLast() {
        let resolved = ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map { ResolvedAddress(ip: $0, port: 80) }
        let database = RouteDatabase()
        let first = Route(address: address, socketAddress: resolved[0])
        database.failed(first)
        #expect(
            RoutePlanner.plan(address, addresses: resolved, database: database).map(\.socketAddress.ip) == [
                "10.0.0.2", "10.0.0.3", "10.0.0.1",
            ])
        database.connected(first)
        #expect(
            RoutePlanner.plan(address, addresses: resolved, database: database).map(\.socketAddress.ip) == [
                "10.0.0.1", "10.0.0.2", "10.0.0.3",
            ])
    }

    @Test("Failed proxies go last, in the selector's order, until one connects again")
    func proxyOrder() {
        let database = RouteDatabase()
        let a = Proxy.http(host: "a", port: 1)
        let b = Proxy.http(host: "b", port: 1)
        let c = Proxy.socks5(host: "c", port: 1)
        database.failed(a)
        database.failed(b)
        #expect(database.order([a, b, c, .direct]) == [c, .direct, a, b])
        database.connected(through: a)
        #expect(database.order([a, b, c]) == [a, c, b])
    }

    @Test("A connection attempt delay below RFC 8305's 10 ms floor is raised to it")
    func attemptDelayFloor() {
        #expect(Connector(resolver: SystemDNSResolver(), attemptDelay: .zero).attemptDelay == .milliseconds(10))
        #expect(Connector(resolver: SystemDNSResolver(), attemptDelay: .seconds(1)).attemptDelay == .seconds(1))
    }

    @Test("A family this machine cannot reach does not hide what the host answered on the other")
    func failureKind() {
        let v6 = Route(address: address, socketAddress: ResolvedAddress(ip: "::1", port: 80))
        let v4 = Route(address: address, socketAddress: ResolvedAddress(ip: "127.0.0.1", port: 80))
        let unreachable = SocketError(errno: ENETUNREACH, operation: "connect")
        let refused = Connector.failure(
            address, [(v6, unreachable), (v4, SocketError(errno: ECONNREFUSED, operation: "connect"))])
        #expect(refused.kind == .connectionRefused)
        #expect(refused.message.contains("::1") && refused.message.contains("127.0.0.1"))
        #expect(
            Connector.failure(address, [(v6, unreachable), (v4, ReactorError.timedOut)]).kind == .timeout(.connect))
        #expect(Connector.failure(address, [(v6, unreachable)]).kind == .connectFailed)
    }

    @Test("A link-local address keeps its zone from the resolver to the socket it dials")
    func zonedAddress() throws {
        let loopback = if_nametoindex("lo")
        let byName = try #require(SocketAddress(numericHost: "fe80::1%lo", port: 80))
        #expect(byName.host == "fe80::1%\(loopback)")
        let resolved = ResolvedAddress(ip: byName.host, port: 80)
        #expect(resolved.socketAddress == byName)
        #expect(resolved.isIPv6)
        #expect(SocketAddress(numericHost: "fe80::1%no-such-interface", port: 80) == nil)
        #expect(SocketAddress(numericHost: "::1", port: 80)?.host == "::1")
    }
}
