package import CourierCore

/// What the pool needs of a connection, whatever its protocol.
///
/// Allocation is by capacity: an HTTP/1.1 connection carries one exchange at a time, an HTTP/2
/// connection as many streams as its peer allows. The pool counts exchanges per connection
/// instead of keeping a busy flag.
package protocol PooledConnection: AnyObject, Sendable {
    var info: ConnectionInfo { get }
    /// Exchanges the connection can carry at once, counting those it carries: 1 for HTTP/1.1,
    /// the peer's SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2. The pool counts the exchanges.
    var exchangeCapacity: Int { get }
    /// It speaks HTTP/2: a failed stream leaves it usable, and it serves waiters up to its capacity.
    var isMultiplexed: Bool { get }
    /// Whether an idle connection can take another exchange: the peer has not closed it and
    /// has sent nothing unexpected. Never blocks.
    var isHealthy: Bool { get }
    /// Whether a multiplexed connection still opens exchanges (an HTTP/2 one stops after a
    /// GOAWAY). Only a lock or a flag: it is asked whenever an exchange on it fails.
    var takesNewExchanges: Bool { get }
    /// What the TLS handshake proved about the server, when the connection may carry other
    /// hosts' requests too (connection coalescing, HTTP/2 only); nil otherwise.
    var serverIdentity: ServerIdentity? { get }
    /// A codec for one more exchange; the pool has counted it against ``exchangeCapacity``.
    func makeCodec() -> any ExchangeCodec
    /// Closes the connection now.
    func close()
}

extension PooledConnection {
    /// Only HTTP/2 connections are shared between hosts.
    package var serverIdentity: ServerIdentity? { nil }
    /// A connection that carries one exchange at a time is asked for its health instead.
    package var takesNewExchanges: Bool { true }
}
