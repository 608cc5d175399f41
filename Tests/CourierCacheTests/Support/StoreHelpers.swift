import CourierCache
import Testing

extension DiskCacheStore {
    /// Commits an entry, its body appended in chunks of `chunk` bytes.
    func put(_ key: String, metadata: String, body: [UInt8], chunk: Int = 1000) async throws {
        let editor = try #require(try await edit(key))
        try await editor.writeMetadata(Array(metadata.utf8))
        for start in stride(from: 0, to: body.count, by: chunk) {
            try await editor.appendBody(Array(body[start..<min(start + chunk, body.count)]))
        }
        try await editor.commit()
    }

    /// The entry's metadata as text and its whole body, or nil; the snapshot is closed.
    func read(_ key: String) async throws -> (metadata: String, body: [UInt8])? {
        guard let snapshot = try await snapshot(for: key) else { return nil }
        let body = try await snapshot.readAll()
        await snapshot.close()
        return (String(decoding: snapshot.metadata, as: UTF8.self), body)
    }
}

extension CacheSnapshot {
    /// The whole body, read in pieces of `chunk` bytes.
    func readAll(chunk: Int = 4096) async throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let piece = try await readBody(from: body.count, maxLength: chunk)
            guard !piece.isEmpty else { return body }
            body += piece
        }
    }
}

func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
}
