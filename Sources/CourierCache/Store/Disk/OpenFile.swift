import Synchronization

/// A descriptor that a snapshot reads from on pool threads and may close at any time.
///
/// A read in flight keeps it open: `close` only marks it, and the last read closes it, so a
/// read never runs on a descriptor number that was closed and handed to another file. Every
/// call that may close it runs on the blocking-work pool; `deinit` closes a descriptor that
/// was never closed (an abandoned snapshot) so it cannot leak.
final class OpenFile: Sendable {
    private enum State {
        case open(readers: Int)
        case closing(readers: Int)
        case closed
    }

    let path: String
    private let fd: Int32
    private let state = Mutex(State.open(readers: 0))

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Runs `body` with the descriptor, or throws `snapshotClosed` if it was closed.
    func withDescriptor<T>(_ body: (Int32) throws(DiskCacheStoreError) -> T) throws(DiskCacheStoreError) -> T {
        let admitted = state.withLock { state in
            guard case .open(let readers) = state else { return false }
            state = .open(readers: readers + 1)
            return true
        }
        guard admitted else { throw .snapshotClosed }
        defer { leave() }
        return try body(fd)
    }

    /// Whether `close` was called.
    var isClosed: Bool {
        state.withLock { state in
            if case .open = state { return false }
            return true
        }
    }

    /// Closes the descriptor now, or when the last read in flight ends.
    func close() {
        let closeNow = state.withLock { state in
            switch state {
            case .open(let readers) where readers > 0:
                state = .closing(readers: readers)
                return false
            case .open:
                state = .closed
                return true
            case .closing, .closed:
                return false
            }
        }
        if closeNow { FileSystem.close(fd) }
    }

    private func leave() {
        let closeNow = state.withLock { state in
            switch state {
            case .open(let readers):
                state = .open(readers: readers - 1)
                return false
            case .closing(let readers) where readers > 1:
                state = .closing(readers: readers - 1)
                return false
            case .closing:
                state = .closed
                return true
            case .closed:
                return false
            }
        }
        if closeNow { FileSystem.close(fd) }
    }

    deinit {
        if case .closed = state.withLock({ $0 }) { return }
        FileSystem.close(fd)
    }
}
