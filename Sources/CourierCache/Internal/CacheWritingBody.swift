import CourierCore
import Synchronization

/// A network body that the caller streams while every chunk is also appended to a store edit:
/// the entry is committed when the body ends and aborted when it fails, is abandoned or dropped,
/// or grows past `limit` (a body bigger than the cache is not stored, but still reaches the
/// caller whole). The caller's read waits for the store's append, so a slow disk slows the
/// download instead of buffering it.
final class CacheWritingBody: HTTPBodySource {
    private let inner: any HTTPBodySource
    private let limit: Int
    /// The open edit and the bytes appended to it, until it is committed or aborted.
    private let state: Mutex<(editor: (any CacheEditor)?, written: Int)>

    init(inner: any HTTPBodySource, editor: any CacheEditor, limit: Int) {
        self.inner = inner
        self.limit = limit
        state = Mutex((editor, 0))
    }

    deinit {
        if let editor = state.withLock({ $0.editor }) {
            Task { await editor.abort() }
        }
    }

    func read() async throws -> ByteBuffer? {
        let chunk: ByteBuffer?
        do {
            chunk = try await inner.read()
        } catch {
            await abort()
            throw error
        }
        guard let chunk else {
            if let editor = take() {
                // An empty append makes a body that had no bytes this response's own: an edit
                // that appends nothing keeps the body stored before (a 304's refresh).
                do {
                    try await editor.appendBody([])
                    try await editor.commit()
                } catch {
                    await editor.abort()
                }
            }
            return nil
        }
        let editor = state.withLock { state -> (any CacheEditor)? in
            guard let editor = state.editor else { return nil }
            state.written += chunk.count
            return state.written <= limit ? editor : nil
        }
        if let editor {
            do { try await editor.appendBody(chunk.array) } catch { await abort() }
        } else {
            await abort()
        }
        return chunk
    }

    var trailers: HTTPHeaders { inner.trailers }

    func abandon() async {
        await abort()
        await inner.abandon()
    }

    private func take() -> (any CacheEditor)? {
        state.withLock { state in
            defer { state.editor = nil }
            return state.editor
        }
    }

    private func abort() async {
        await take()?.abort()
    }
}
