import CourierCore

/// A committed entry as it was when it was opened: its metadata in memory and its body file
/// open, so it stays whole and readable while the entry is replaced or removed.
final class DiskCacheSnapshot: CacheSnapshot {
    let metadata: [UInt8]
    let bodySize: Int
    private let body: OpenFile
    private let pool: BlockingWorkPool

    init(metadata: [UInt8], bodySize: Int, body: OpenFile, pool: BlockingWorkPool) {
        self.metadata = metadata
        self.bodySize = bodySize
        self.body = body
        self.pool = pool
    }

    func readBody(from offset: Int, maxLength: Int) async throws -> [UInt8] {
        let length = min(max(maxLength, 0), max(bodySize - offset, 0))
        guard offset >= 0, length > 0 else {
            // Reads after close fail even at the end, as the protocol says.
            if body.isClosed { throw DiskCacheStoreError.snapshotClosed }
            return []
        }
        let body = self.body
        // A read holds nothing once it ends, so a cancelled caller need not wait for a busy
        // pool to reach it: the read finishes (or never starts) on its own.
        return try await pool.runAbandoningOnCancel {
            try body.withDescriptor { fd throws(DiskCacheStoreError) in
                try FileSystem.read(fd, body.path, at: offset, maxLength: length)
            }
        }
    }

    func close() async {
        let body = self.body
        _ = try? await pool.run { body.close() }
    }
}
