import CourierCore
import Synchronization

/// A stored body, or the part of it a range selects, streamed from a store snapshot in bounded
/// reads, so a large hit is pulled like a network body instead of being loaded at once, and a
/// range reads only its own bytes. The snapshot is closed at the end, on abandon, or when the
/// body is dropped.
final class CachedBody: HTTPBodySource {
    private static let readSize = 64 << 10

    /// The snapshot, until it is closed; the offset of the next read.
    private let state: Mutex<(snapshot: (any CacheSnapshot)?, offset: Int)>
    /// Where the bytes served end: the body's size, or a range's end.
    private let end: Int

    /// Streams `bytes` of the snapshot's body (all of it when nil); `bytes` lies within the body.
    init(snapshot: any CacheSnapshot, bytes: Range<Int>? = nil) {
        let bytes = bytes ?? 0..<snapshot.bodySize
        state = Mutex((snapshot, bytes.lowerBound))
        end = bytes.upperBound
    }

    deinit {
        if let snapshot = state.withLock({ $0.snapshot }) {
            Task { await snapshot.close() }
        }
    }

    func read() async throws -> ByteBuffer? {
        guard let (snapshot, offset) = state.withLock({ state in state.snapshot.map { ($0, state.offset) } }) else {
            return nil
        }
        guard offset < end else {
            await close()
            return nil
        }
        let bytes = try await snapshot.readBody(from: offset, maxLength: min(CachedBody.readSize, end - offset))
        guard !bytes.isEmpty else {
            await close()
            throw HTTPClientError(
                .protocolViolation(.truncatedBody),
                "The cached body ended at byte \(offset), before byte \(end) of its \(snapshot.bodySize).")
        }
        state.withLock { $0.offset += bytes.count }
        return ByteBuffer(bytes)
    }

    func abandon() async {
        await close()
    }

    var trailers: HTTPHeaders { HTTPHeaders() }

    private func close() async {
        let snapshot = state.withLock { state in
            defer { state.snapshot = nil }
            return state.snapshot
        }
        await snapshot?.close()
    }
}
