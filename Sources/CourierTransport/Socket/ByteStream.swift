package import CourierCore

/// A connection's byte pipe: a plain socket, or TLS over one. The HTTP/1.1 codec speaks to this,
/// so it neither knows nor cares which.
///
/// The same threading contract as `Socket`: reads and writes run pinned to `reactor`, and one
/// owner uses a stream at a time.
package protocol ByteStream: AnyObject, Sendable {
    var reactor: Reactor { get }
    /// Reads what is available into `buffer`, waiting for at least one byte; 0 at end of stream.
    func read(into buffer: inout ReceiveBuffer, deadline: ContinuousClock.Instant?) async throws -> Int
    /// Writes every byte of `first` then `second`.
    func write(_ first: ByteBuffer, _ second: ByteBuffer, deadline: ContinuousClock.Instant?) async throws
    /// Whether the stream ended without the authenticated end-of-data its protocol has (a TLS
    /// `close_notify`), so whoever closed it — the peer or someone on the path — may have cut the
    /// data short (RFC 9112 §9.8). Plain TCP has no such signal: its FIN is the end.
    var isTruncated: Bool { get }
    /// Whether an idle stream can carry another exchange: open, nothing unexpected pending. Never blocks.
    var isHealthy: Bool { get }
    /// Whether a read now would find bytes without waiting (or the end of the stream). Never blocks.
    var hasInputReady: Bool { get }
    /// Shuts both directions down without closing the descriptor, so a task reading or writing
    /// it wakes at once to end of stream or an error. Callable from any thread while the owner
    /// still holds the stream: the descriptor stays its own until the owner closes it.
    func interrupt()
    /// Stops sending (the peer reads end of stream) but keeps receiving.
    func shutdownOutput()
    /// Closes now; by the owner only.
    func close()
}

extension ByteStream {
    /// A stream that cannot tell says no: its reader then never waits to gather more.
    package var hasInputReady: Bool { false }

    package func write(_ bytes: ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
        try await write(bytes, ByteBuffer(), deadline: deadline)
    }
}

extension Socket: ByteStream {
    package var isTruncated: Bool { false }
}
