import CourierCore
import Glibc

/// Opens new connections: resolve the host, then try its addresses in order until one accepts.
package struct Connector: Sendable {
    package let resolver: any DNSResolver
    package let reactors: ReactorGroup

    package init(resolver: any DNSResolver, reactors: ReactorGroup = .shared) {
        self.resolver = resolver
        self.reactors = reactors
    }

    /// A connected socket wrapped as an HTTP/1.1 connection for `key`.
    package func connect(_ key: ConnectionKey, timeout: Duration?) async throws -> HTTP1Connection {
        let addresses = try await resolver.resolve(host: key.host, port: key.port)
        guard !addresses.isEmpty else {
            throw HTTPClientError(.dnsFailure, "Host \(key.host) resolved to no address.")
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var failures: [(ResolvedAddress, any Error)] = []
        for address in addresses {
            guard let socketAddress = address.socketAddress else {
                failures.append((address, SocketError(errno: EINVAL, operation: "parse address")))
                continue
            }
            let reactor = reactors.nextReactor()
            do {
                let socket = try await withTaskExecutorPreference(reactor) {
                    try await Socket.connect(to: socketAddress, on: reactor, deadline: deadline)
                }
                return HTTP1Connection(socket: socket, key: key)
            } catch is CancellationError {
                throw CancellationError()
            } catch ReactorError.timedOut {
                throw HTTPClientError(.timeout(.connect), "Timed out connecting to \(key.host) at \(address).")
            } catch {
                failures.append((address, error))
            }
        }
        throw Connector.failure(key, failures)
    }

    private static func failure(_ key: ConnectionKey, _ failures: [(ResolvedAddress, any Error)]) -> HTTPClientError {
        let detail = failures.map { "\($0.0): \($0.1)" }.joined(separator: "; ")
        let allRefused = failures.allSatisfy { ($0.1 as? SocketError)?.errno == ECONNREFUSED }
        if allRefused {
            return HTTPClientError(
                .connectionRefused, "Connection to \(key.host) port \(key.port) refused (\(detail)).")
        }
        return HTTPClientError(.connectFailed, "Could not connect to \(key.host) port \(key.port): \(detail).")
    }
}
