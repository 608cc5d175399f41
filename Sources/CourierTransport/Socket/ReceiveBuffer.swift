package import CourierCore

/// The bytes read from a socket and not yet consumed, in storage that body chunks can share.
///
/// Invariant: once a range of `storage` has been lent out as a `ByteBuffer` (`lent`), the
/// storage is not written again until its borrower says it has let go (``reclaimLent()``); the
/// next read moves the unconsumed tail into fresh storage first. That keeps lent chunks
/// immutable without copying them, and avoids a copy-on-write of the whole array. (Were a chunk
/// still held after a reclaim, the write would copy the storage, never change the chunk.)
package struct ReceiveBuffer {
    /// Allocated bytes; `count` is the capacity, bytes past `writerIndex` are scratch.
    private var storage: [UInt8] = []
    package private(set) var readerIndex = 0
    private var writerIndex = 0
    private var lent = false
    /// How much to offer `recv` next: doubles while reads fill it, up to `maximumReadSize`.
    private var readSize: Int

    /// Chunks up to this size are copied out rather than lent, so small responses keep reusing storage.
    private static let copyThreshold = 2048
    private static let maximumReadSize = 256 << 10

    package init(initialReadSize: Int = 16 << 10) {
        readSize = initialReadSize
    }

    package var readableCount: Int { writerIndex - readerIndex }

    /// Lets `fill` write into free space of at least half of `readSize` and records how much it wrote.
    package mutating func write(_ fill: (UnsafeMutableRawBufferPointer) throws -> Int) rethrows -> Int {
        prepareForWrite()
        let offered = storage.count - writerIndex
        let written = try storage.withUnsafeMutableBytes { raw in
            try fill(UnsafeMutableRawBufferPointer(rebasing: raw[writerIndex...]))
        }
        writerIndex += max(written, 0)
        if written == offered && readSize < ReceiveBuffer.maximumReadSize { readSize *= 2 }
        return written
    }

    /// Makes room for a read of about `readSize`. Storage nothing borrows is reused: the unread
    /// bytes (the start of a message the last read cut short, as HTTP/2 frames usually are) move
    /// to its front. Only lent storage, or storage too small, is replaced: taking fresh storage
    /// whenever the free space ran short cost an HTTP/2 download about one allocation of
    /// `maximumReadSize` per 120 KiB.
    private mutating func prepareForWrite() {
        let unread = readableCount
        guard lent || storage.count - writerIndex < readSize / 2 else {
            if unread == 0 {
                readerIndex = 0
                writerIndex = 0
            }
            return
        }
        if !lent && storage.count - unread >= readSize / 2 {
            if unread > 0 {
                let start = readerIndex
                storage.withUnsafeMutableBufferPointer { bytes in
                    // The two ranges may overlap, which moveInitialize allows.
                    bytes.baseAddress!.moveInitialize(from: bytes.baseAddress! + start, count: unread)
                }
            }
        } else {
            var fresh = [UInt8](unsafeUninitializedCapacity: max(readSize, unread + readSize / 2)) { buffer, count in
                count = buffer.count
            }
            if unread > 0 {
                fresh.withUnsafeMutableBytes { destination in
                    storage.withUnsafeBytes { source in
                        destination.copyMemory(
                            from: UnsafeRawBufferPointer(rebasing: source[readerIndex..<writerIndex]))
                    }
                }
            }
            storage = fresh
            lent = false
        }
        readerIndex = 0
        writerIndex = unread
    }

    /// Copies as much of `chunk` as one write's free space holds, and returns how much: for
    /// streams whose bytes arrive as chunks rather than from a socket (an HTTP/2 tunnel).
    package mutating func write(from chunk: ByteBuffer) -> Int {
        write { space in
            chunk.withUnsafeBytes { bytes in
                let count = min(bytes.count, space.count)
                space.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<count]))
                return count
            }
        }
    }

    /// Runs `body` over the unread bytes without consuming them.
    package func withReadableBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = storage.withUnsafeBytes { raw in
            do throws(E) {
                return .success(try body(UnsafeRawBufferPointer(rebasing: raw[readerIndex..<writerIndex])))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Consumes `count` bytes without looking at them.
    package mutating func skip(_ count: Int) {
        precondition(count <= readableCount, "skip past the readable bytes")
        readerIndex += count
    }

    /// Lets the next read write into the storage again: the caller has let go of (or copied)
    /// every chunk it took. Were a chunk still held, that write would copy the storage first
    /// (arrays copy on write), never change the chunk: this only saves the fresh storage.
    package mutating func reclaimLent() {
        lent = false
    }

    /// Consumes `count` bytes and returns them, lending storage for large chunks.
    package mutating func take(_ count: Int) -> ByteBuffer {
        guard count <= ReceiveBuffer.copyThreshold else { return lend(count) }
        precondition(count <= readableCount, "take past the readable bytes")
        let range = readerIndex..<(readerIndex + count)
        readerIndex += count
        return ByteBuffer(Array(storage[range]))
    }

    /// Consumes `count` bytes and returns them as a view of the storage, however few: for a
    /// caller that copies what it keeps and calls ``reclaimLent()`` before the next read.
    package mutating func lend(_ count: Int) -> ByteBuffer {
        precondition(count <= readableCount, "lend past the readable bytes")
        let range = readerIndex..<(readerIndex + count)
        readerIndex += count
        lent = true
        return ByteBuffer(storage: storage, range: range)
    }
}
