/// The bytes an HTTP/2 test-server connection has framed and not yet written, and the tasks
/// waiting on them: the connection's single writer, and tasks waiting for their frames to be
/// out (the back-pressure a response body needs).
///
/// Frames are appended whole, under the connection's lock, in the order they were encoded: so
/// HPACK blocks reach the client in the order its decoder must see them, and nothing ever lands
/// between a HEADERS frame and its CONTINUATIONs. Positions are counted from the connection's
/// start: a frame's ticket is where its last octet ends.
struct HTTP2OutboundQueue {
    private var pending: [UInt8] = []
    private(set) var enqueued = 0
    private var flushed = 0
    private var flushWaiters: [(ticket: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var writer: CheckedContinuation<[UInt8]?, Never>?
    /// Set when the connection ends: nothing more is accepted, the writer drains and stops.
    private(set) var isClosed = false
    private var writerStopped = false

    /// What is enqueued but not yet flushed: a reader that lets this grow waits for the writer.
    var backlog: Int { enqueued - flushed }

    /// Appends bytes; returns their ticket, or nil once the connection has ended.
    mutating func append(_ bytes: [UInt8], wakeups: inout [HTTP2Wakeup]) -> Int? {
        guard !isClosed else { return nil }
        pending.append(contentsOf: bytes)
        enqueued += bytes.count
        wakeWriter(&wakeups)
        return enqueued
    }

    /// Lets `append` write straight into the pending bytes, as the frame encoder does.
    mutating func append(wakeups: inout [HTTP2Wakeup], _ write: (inout [UInt8]) -> Void) -> Int? {
        guard !isClosed else { return nil }
        let before = pending.count
        write(&pending)
        enqueued += pending.count - before
        wakeWriter(&wakeups)
        return enqueued
    }

    /// Hands the writer everything pending, or keeps it waiting; nil tells it to stop.
    mutating func nextChunk(for continuation: CheckedContinuation<[UInt8]?, Never>, wakeups: inout [HTTP2Wakeup]) {
        if !pending.isEmpty {
            wakeups.append(.writer(continuation, take()))
        } else if isClosed {
            writerStopped = true
            for waiter in flushWaiters { wakeups.append(.flushed(waiter.continuation, false)) }
            flushWaiters.removeAll()
            wakeups.append(.writer(continuation, nil))
        } else {
            writer = continuation
        }
    }

    /// Records that the writer wrote `count` octets, resuming the tasks whose frames are out.
    mutating func didWrite(_ count: Int, wakeups: inout [HTTP2Wakeup]) {
        flushed += count
        let ready = flushWaiters.filter { $0.ticket <= flushed }
        flushWaiters.removeAll { $0.ticket <= flushed }
        for waiter in ready { wakeups.append(.flushed(waiter.continuation, true)) }
    }

    /// Resumes `continuation` with true once everything up to `ticket` is written, false if the
    /// writer stopped first.
    mutating func waitForFlush(
        _ ticket: Int, _ continuation: CheckedContinuation<Bool, Never>, wakeups: inout [HTTP2Wakeup]
    ) {
        if flushed >= ticket {
            wakeups.append(.flushed(continuation, true))
        } else if writerStopped {
            wakeups.append(.flushed(continuation, false))
        } else {
            flushWaiters.append((ticket, continuation))
        }
    }

    /// Refuses further bytes; the writer drains what is pending, then stops.
    mutating func close(wakeups: inout [HTTP2Wakeup]) {
        guard !isClosed else { return }
        isClosed = true
        if let writer {
            self.writer = nil
            nextChunk(for: writer, wakeups: &wakeups)
        }
    }

    /// The writer failed: nothing more will be written.
    mutating func writerFailed(wakeups: inout [HTTP2Wakeup]) {
        isClosed = true
        writerStopped = true
        pending.removeAll()
        for waiter in flushWaiters { wakeups.append(.flushed(waiter.continuation, false)) }
        flushWaiters.removeAll()
    }

    private mutating func wakeWriter(_ wakeups: inout [HTTP2Wakeup]) {
        guard let writer else { return }
        self.writer = nil
        wakeups.append(.writer(writer, take()))
    }

    private mutating func take() -> [UInt8] {
        defer { pending = [] }
        return pending
    }
}

/// A continuation to resume once the connection's lock is released: resuming one under the
/// lock could run the resumed task's next step while the state is still borrowed.
enum HTTP2Wakeup {
    /// A stream's task waiting for send window, or for bytes on a tunnel: it looks again.
    case window(CheckedContinuation<Void, Never>)
    /// The writer, with bytes to write or nil to stop.
    case writer(CheckedContinuation<[UInt8]?, Never>, [UInt8]?)
    /// A task waiting for its frames to be written: true when they are, false if they never will be.
    case flushed(CheckedContinuation<Bool, Never>, Bool)

    func fire() {
        switch self {
        case .window(let continuation): continuation.resume()
        case .writer(let continuation, let bytes): continuation.resume(returning: bytes)
        case .flushed(let continuation, let done): continuation.resume(returning: done)
        }
    }
}
