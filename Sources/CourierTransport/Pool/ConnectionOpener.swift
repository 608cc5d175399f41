package import CourierCore

/// How the pool opens a connection on a request's behalf, in two steps so that it can look in
/// between for an HTTP/2 connection it may share instead (connection coalescing): first the
/// host's addresses, then a connection to them.
package protocol ConnectionOpener: Sendable {
    /// The addresses the host resolves to; empty when the opener cannot tell before connecting,
    /// which rules coalescing out.
    func resolve() async throws -> [ResolvedAddress]
    /// A connection to one of `addresses`, the host's as `resolve` returned them.
    func connect(to addresses: [ResolvedAddress]) async throws -> any PooledConnection
}

/// An opener that only connects: no lookup first, so never coalesced.
package struct DirectOpener: ConnectionOpener {
    let open: @Sendable () async throws -> any PooledConnection

    package init(_ open: @escaping @Sendable () async throws -> any PooledConnection) {
        self.open = open
    }

    package func resolve() async throws -> [ResolvedAddress] { [] }

    package func connect(to addresses: [ResolvedAddress]) async throws -> any PooledConnection {
        try await open()
    }
}
