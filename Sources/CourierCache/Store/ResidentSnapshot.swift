import Synchronization

/// A committed entry read whole into memory: a small one, served without touching its files
/// (see `ResidentEntries`).
final class ResidentSnapshot: CacheSnapshot {
    let metadata: [UInt8]
    let bodySize: Int
    private let body: [UInt8]
    private let closed = Atomic<Bool>(false)

    init(metadata: [UInt8], body: [UInt8]) {
        self.metadata = metadata
        self.body = body
        self.bodySize = body.count
    }

    func readBody(from offset: Int, maxLength: Int) async throws -> [UInt8] {
        if closed.load(ordering: .relaxed) { throw DiskCacheStoreError.snapshotClosed }
        let start = min(max(offset, 0), body.count)
        let end = min(start + max(maxLength, 0), body.count)
        return Array(body[start..<end])
    }

    func close() async {
        closed.store(true, ordering: .relaxed)
    }
}
