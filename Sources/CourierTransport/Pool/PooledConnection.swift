package import CourierCore

/// What the pool needs of a connection, whatever its protocol.
///
/// Allocation is by capacity: an HTTP/1.1 connection carries one exchange at a time, an HTTP/2
/// connection as many streams as its peer allows. The pool counts exchanges per connection
/// instead of keeping a busy flag.
package protocol PooledConnection: AnyObject, Sendable {
    var info: ConnectionInfo { get }
    /// Exchanges the connection can carry at once right now.
    var exchangeCapacity: Int { get }
    /// It speaks HTTP/2: a failed stream leaves it usable, and it serves waiters up to its capacity.
    var isMultiplexed: Bool { get }
    /// Whether an idle connection can take another exchange: the peer has not closed it and
    /// has sent nothing unexpected. Never blocks.
    var isHealthy: Bool { get }
    /// A codec for one more exchange; the pool has counted it against ``exchangeCapacity``.
    func makeCodec() -> any ExchangeCodec
    /// Closes the connection now.
    func close()
    /// A codec for one more exchange on this connection: the pool has counted it against
    /// ``exchangeCapacity`` already.
    func makeCodec() -> any ExchangeCodec
    /// Whether the connection carries several exchanges at once (HTTP/2).
    var isMultiplexed: Bool { get }
}
