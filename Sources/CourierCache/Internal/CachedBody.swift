import CourierCore
import Synchronization

/// A stored body streamed from a store snapshot in bounded reads, so a large hit is pulled like
/// a network body instead of being loaded at once. The snapshot is closed at the end, on
/// abandon, or when the body is dropped.
final class CachedBody: HTTPBodySource {
    private static let readSize = 64 << 10

    /// The snapshot, until it is closed; the offset of the next read.
    private let state: Mutex<(snapshot: (any CacheSnapshot)?, offset: Int)>

    init(snapshot: any CacheSnapshot) {
        state = Mutex((snapshot, 0))
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
        guard offset < snapshot.bodySize else {
            await close()
            return nil
        }
        let bytes = try await snapshot.readBody(
            from: offset, maxLength: min(CachedBody.readSize, snapshot.bodySize - offset))
        guard !bytes.isEmpty else {
            await close()
            throw HTTPClientError(
                .protocolViolation(.truncatedBody),
                "The cached body ended after \(offset) of its \(snapshot.bodySize) bytes.")
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
