import CourierCore
import Synchronization

/// Writes the journal in exactly the order the store's transitions happened, off the
/// cooperative pool, several records per system call when they arrive together.
///
/// The store mutates its index and enqueues the matching records in one synchronous step on
/// its actor, so the queue's order is the index's order even though the actor is re-entered
/// while the writes are in flight. One drain at a time runs on the blocking-work pool and takes
/// everything queued so far. A record is safe from a process crash once its ticket completes:
/// it is in the kernel's page cache (nothing is buffered in this process).
final class JournalWriter: Sendable {
    enum Operation: Sendable {
        /// Records to add at the end.
        case append([UInt8])
        /// A whole new journal, written beside the old one, flushed to disk and renamed over it.
        case rewrite([UInt8])
    }

    private struct State {
        var fd: Int32
        var queue: [(Operation, JournalTicket)] = []
        var draining = false
    }

    private let path: String
    private let directory: String
    private let pool: BlockingWorkPool
    private let state: Mutex<State>

    /// `fd` is the journal at `path`, opened for appending; the writer owns it from here on.
    init(fd: Int32, path: String, directory: String, pool: BlockingWorkPool) {
        self.path = path
        self.directory = directory
        self.pool = pool
        state = Mutex(State(fd: fd))
    }

    /// Queues `operation` after everything queued before it; the ticket completes when it is
    /// written (or failed). Callers that need no answer (a `READ` record) drop the ticket.
    @discardableResult
    func enqueue(_ operation: Operation) -> JournalTicket {
        let ticket = JournalTicket()
        let startDrain = state.withLock { state in
            state.queue.append((operation, ticket))
            defer { state.draining = true }
            return !state.draining
        }
        if startDrain { pool.submit { [self] in drain() } }
        return ticket
    }

    deinit {
        FileSystem.close(state.withLock { $0.fd })
    }

    /// Runs on a pool thread until the queue is empty; `draining` keeps it the only one.
    private func drain() {
        while true {
            let (batch, fd) = state.withLock { state in
                defer { state.queue = [] }
                if state.queue.isEmpty { state.draining = false }
                return (state.queue, state.fd)
            }
            guard !batch.isEmpty else { return }
            var appended: [UInt8] = []
            var waiting: [JournalTicket] = []
            var currentFD = fd
            for (operation, ticket) in batch {
                switch operation {
                case .append(let bytes):
                    appended += bytes
                    waiting.append(ticket)
                case .rewrite(let bytes):
                    append(appended, to: currentFD, completing: waiting)
                    (appended, waiting) = ([], [])
                    do {
                        currentFD = try rewrite(bytes, replacing: currentFD)
                        ticket.complete(.success(()))
                    } catch {
                        ticket.complete(.failure(error))
                    }
                }
            }
            append(appended, to: currentFD, completing: waiting)
            if currentFD != fd { state.withLock { $0.fd = currentFD } }
        }
    }

    /// Appends the records of `tickets` together and completes them with the outcome.
    private func append(_ bytes: [UInt8], to fd: Int32, completing tickets: [JournalTicket]) {
        let result: Result<Void, DiskCacheStoreError>
        do {
            try append(bytes, to: fd)
            result = .success(())
        } catch {
            result = .failure(error)
        }
        for ticket in tickets { ticket.complete(result) }
    }

    /// Appends `bytes`; on failure cuts the journal back to where it was, so a half-written
    /// record never sits in front of later ones.
    private func append(_ bytes: [UInt8], to fd: Int32) throws(DiskCacheStoreError) {
        guard !bytes.isEmpty else { return }
        let length = try FileSystem.size(fd, path)
        do {
            try FileSystem.append(fd, path, bytes)
        } catch {
            try? FileSystem.truncate(fd, path, to: length)
            throw error
        }
    }

    /// Replaces the journal with `bytes` and returns the new file's descriptor. The new journal
    /// is on disk before the rename and the rename is on disk before the old one is let go, so
    /// a crash or a power cut leaves the old journal or the new one, never neither.
    private func rewrite(_ bytes: [UInt8], replacing fd: Int32) throws(DiskCacheStoreError) -> Int32 {
        let temporary = path + ".tmp"
        try FileSystem.writeFile(temporary, bytes, sync: true)
        try FileSystem.rename(temporary, to: path)
        try FileSystem.syncDirectory(directory)
        let newFD = try FileSystem.openForAppending(path)
        FileSystem.close(fd)
        return newFD
    }
}

/// The outcome of one queued journal operation, awaited by at most one caller; the lock makes
/// it `Sendable`.
final class JournalTicket: Sendable {
    private enum State {
        case pending
        case waiting(UnsafeContinuation<Void, any Error>)
        case done(Result<Void, DiskCacheStoreError>)
    }

    private let state = Mutex(State.pending)

    func complete(_ result: Result<Void, DiskCacheStoreError>) {
        let continuation = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            defer { state = .done(result) }
            guard case .waiting(let continuation) = state else { return nil }
            return continuation
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    /// Waits until the operation was written; throws what failed it.
    func written() async throws {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            let result = state.withLock { state -> Result<Void, DiskCacheStoreError>? in
                guard case .done(let result) = state else {
                    state = .waiting(continuation)
                    return nil
                }
                return result
            }
            if let result { continuation.resume(with: result.mapError { $0 as any Error }) }
        }
    }
}
