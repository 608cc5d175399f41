/// Where the cache keeps its entries: each one a metadata blob (the stored response head and
/// what the RFC 9111 rules need) and a body, under a key the cache derives from the request.
///
/// The cache's semantics speak only to this protocol, so they are tested against an in-memory
/// store while the disk store's crash safety is tested on its own. Implementations keep every
/// file operation off the cooperative pool.
package protocol CacheStore: Sendable {
    /// The most the store holds, in bytes of metadata and bodies; it evicts the least recently
    /// used entries to stay under it.
    var maxSize: Int { get }

    /// What the store holds now, in bytes.
    func size() async throws -> Int

    /// The committed entry for `key`, or nil. A snapshot stays readable while the entry is
    /// replaced or removed after it was taken, so a reader never sees a half-written body.
    func snapshot(for key: String) async throws -> (any CacheSnapshot)?

    /// Starts replacing the entry for `key`; nil while another edit of the same key is open (a
    /// second writer of one URL simply does not cache). An edit that appends nothing, not even an
    /// empty body, keeps the body already committed: that is how a 304 refreshes the stored head.
    func edit(_ key: String) async throws -> (any CacheEditor)?

    /// Drops the entry for `key`; open snapshots of it stay readable.
    func remove(_ key: String) async throws

    /// Drops every entry.
    func removeAll() async throws
}

/// A committed entry as it was when it was opened.
package protocol CacheSnapshot: Sendable {
    var metadata: [UInt8] { get }
    var bodySize: Int { get }

    /// Up to `maxLength` body bytes from `offset`; empty at the end.
    func readBody(from offset: Int, maxLength: Int) async throws -> [UInt8]

    /// Lets the store release what the snapshot holds (a file descriptor); reads after it fail.
    func close() async
}

/// One open write of an entry. Nothing is visible to readers until `commit`, and a process
/// that dies before it leaves nothing a later process would serve.
package protocol CacheEditor: Sendable {
    func writeMetadata(_ bytes: [UInt8]) async throws
    func appendBody(_ bytes: [UInt8]) async throws

    /// Publishes the entry atomically, replacing what the key held. Throws (and publishes
    /// nothing) when the metadata was never written for a new entry.
    func commit() async throws

    /// Throws the edit away; the key keeps what it held before.
    func abort() async
}
