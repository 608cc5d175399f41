import CCourierSystem
import Glibc
import Synchronization

/// An epoll event loop on a dedicated thread that is also the executor of the tasks a
/// connection owns.
///
/// Tasks pinned here (`withTaskExecutorPreference(reactor)`) try their syscall first and, on
/// `EAGAIN`, park an unsafe continuation in the socket's slot; the loop resumes it inline when
/// epoll reports readiness, so the task continues on this thread without a hop (see
/// `Shared/research/io-design.md`: ≈0.5–0.9 µs against 3–8 µs for a cross-thread resume).
///
/// Threading contract:
/// - `slots`, `localJobs` and `timers` are confined to the reactor thread. `register` must be
///   called from a task pinned to this reactor (checked in debug builds).
/// - Other threads reach the loop only through `inbox` (a `Mutex`) plus an eventfd write, which
///   is skipped unless the loop is about to sleep (`needsWake`). A wait from another thread is
///   such a message, and it does not even wake a sleeping loop unless its deadline comes before
///   the loop's next planned wake-up (`plannedWake`): the readiness event it waits for will
///   wake the loop anyway, and the loop installs pending waits before it sleeps again. The
///   release of a slot deregistered from another thread never wakes it (see `deregister`).
/// - Only the reactor thread resumes I/O continuations, which is what makes "exactly once" hold:
///   cancellation handlers post a message instead of resuming.
package final class Reactor: TaskExecutor, @unchecked Sendable {
    private enum Message {
        case install(Waiter, ReactorToken, Interest, deadline: ContinuousClock.Instant?)
        case cancel(ReactorToken, Interest, waiterID: UInt64)
        case release(ReactorToken)
    }

    private struct Inbox {
        var jobs: [UnownedJob] = []
        var messages: [Message] = []
    }

    private struct Waiter {
        let id: UInt64
        let continuation: UnsafeContinuation<Void, any Error>
    }

    private struct Slot {
        var generation: UInt32 = 0
        var inUse = false
        /// An edge arrived while nobody waited; the next wait returns at once.
        var readable = false
        var writable = false
        var reader: Waiter?
        var writer: Waiter?
    }

    private let epollFD: Int32
    private let wakeFD: Int32
    private let inbox = Mutex(Inbox())
    private let needsWake = Atomic<Bool>(false)
    /// When the loop will wake by itself, in nanoseconds after `epoch`; `Int64.max` for never.
    private let plannedWake = Atomic<Int64>(.max)
    private let epoch = ContinuousClock.now
    private let waiterIDs = Atomic<UInt64>(0)
    /// Exchanges in progress on this reactor's connections: a hint for choosing between
    /// caller-thread I/O (worth it when an exchange is alone) and pinned I/O (cheaper when the
    /// loop serves many connections per pass). See `HTTP1Codec.beginCallerThreadIO`.
    private let exchangesInProgress = Atomic<Int>(0)
    /// The longest the loop sleeps while sockets are registered, so that a wait posted from
    /// another thread with a deadline further away than this never needs to wake it.
    private let idleTick: Duration
    private let thread = Atomic<UInt>(0)

    // Reactor-thread state.
    private var slots: [Slot] = []
    private var freeSlots: [UInt32] = []
    private var localJobs: [UnownedJob] = []
    /// What the loop is draining, swapped with `localJobs` and the inbox's queues so that the
    /// arrays keep their capacity and a drain allocates nothing.
    private var drainingJobs: [UnownedJob] = []
    private var drainingMessages: [Message] = []
    private var timers = TimerHeap()

    /// Creates the epoll instance and starts the loop's thread.
    ///
    /// Throws when the process is out of descriptors (`EMFILE`) or threads: a condition a call
    /// reports as a connect failure, not a reason to crash the process.
    package init(name: String, idleTick: Duration = .seconds(1)) throws(SocketError) {
        self.idleTick = idleTick
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SocketError(errno: errno, operation: "epoll_create1") }
        let wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard wakeFD >= 0 else {
            let failure = SocketError(errno: errno, operation: "eventfd")
            Glibc.close(epollFD)
            throw failure
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLET.rawValue
        event.data.u64 = ReactorToken.wakeup.raw
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) == 0 else {
            let failure = SocketError(errno: errno, operation: "epoll_ctl(eventfd)")
            Glibc.close(wakeFD)
            Glibc.close(epollFD)
            throw failure
        }
        self.epollFD = epollFD
        self.wakeFD = wakeFD
        do {
            try ReactorThread.start(name: name) { [self] in
                thread.store(UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))), ordering: .releasing)
                run()
            }
        } catch {
            Glibc.close(wakeFD)
            Glibc.close(epollFD)
            throw error
        }
    }

    /// Counts an exchange in; returns whether no other was in progress. Pair with `exchangeEnded()`.
    package func exchangeStarted() -> Bool {
        exchangesInProgress.wrappingAdd(1, ordering: .relaxed).oldValue == 0
    }

    package func exchangeEnded() {
        exchangesInProgress.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Whether the caller runs on this reactor's thread.
    package var isCurrent: Bool {
        thread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    // MARK: Executor

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isCurrent {
            localJobs.append(job)
        } else {
            inbox.withLock { $0.jobs.append(job) }
            wake()
        }
    }

    package func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }

    /// Deadlines of waits in progress; on the reactor thread.
    package var pendingDeadlineCount: Int {
        assert(isCurrent, "read on the reactor thread")
        return timers.count
    }

    // MARK: Sockets (reactor thread only)

    /// Registers a non-blocking descriptor once, edge-triggered for both directions.
    package func register(_ fd: Int32) throws(SocketError) -> ReactorToken {
        assert(isCurrent, "register must run on the reactor thread")
        let index: UInt32
        if let free = freeSlots.popLast() {
            index = free
        } else {
            index = UInt32(slots.count)
            slots.append(Slot())
        }
        slots[Int(index)].inUse = true
        slots[Int(index)].readable = false
        slots[Int(index)].writable = false
        let token = ReactorToken(slot: index, generation: slots[Int(index)].generation)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
        event.data.u64 = token.raw
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            let code = errno
            freeSlot(token)
            throw SocketError(errno: code, operation: "epoll_ctl")
        }
        return token
    }

    /// Suspends until the socket is ready for `interest`, the deadline passes, or the task is cancelled.
    ///
    /// Call only after the syscall returned `EAGAIN`: readiness is edge-triggered. From a task
    /// pinned to this reactor the wait is installed at once; from any other thread it is posted
    /// to the loop (see the type's threading contract), and the task resumes on its own executor.
    package func wait(
        _ token: ReactorToken, fd: Int32, for interest: Interest, deadline: ContinuousClock.Instant?
    ) async throws {
        let id = waiterIDs.wrappingAdd(1, ordering: .relaxed).oldValue
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let waiter = Waiter(id: id, continuation: continuation)
                if isCurrent {
                    guard !Task.isCancelled else { return continuation.resume(throwing: CancellationError()) }
                    install(waiter, token: token, interest: interest, deadline: deadline)
                } else {
                    postInstall(waiter, token: token, fd: fd, interest: interest, deadline: deadline)
                }
            }
        } onCancel: {
            post(.cancel(token, interest, waiterID: id))
        }
    }

    /// Hands a wait to the loop from another thread. Checking for cancellation under the inbox
    /// lock orders it against the cancellation handler's message: either the task was already
    /// cancelled (and nothing is posted), or the cancel message comes after the install.
    ///
    /// The loop is woken only when it must be: when the deadline comes before its planned
    /// wake-up, or when the socket is ready already. In that last case the edge may have come
    /// and gone before the install was posted, and no further event would wake the loop; a
    /// zero-timeout `poll` after posting closes that window, since any later edge wakes a loop
    /// that will then find the install.
    private func postInstall(
        _ waiter: Waiter, token: ReactorToken, fd: Int32, interest: Interest, deadline: ContinuousClock.Instant?
    ) {
        let posted = inbox.withLock { inbox in
            guard !Task.isCancelled else { return false }
            inbox.messages.append(.install(waiter, token, interest, deadline: deadline))
            return true
        }
        guard posted else { return waiter.continuation.resume(throwing: CancellationError()) }
        var probe = pollfd(fd: fd, events: Int16(interest == .read ? POLLIN : POLLOUT), revents: 0)
        if poll(&probe, 1, 0) != 0 {
            wake()
        } else if let deadline, nanoseconds(at: deadline) < plannedWake.load(ordering: .relaxed) {
            wake()
        }
    }

    private func nanoseconds(at instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = epoch.duration(to: instant).components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : scaled.addingReportingOverflow(attoseconds / 1_000_000_000).0
    }

    private func install(_ waiter: Waiter, token: ReactorToken, interest: Interest, deadline: ContinuousClock.Instant?)
    {
        let index = Int(token.slot)
        guard index < slots.count, slots[index].inUse, slots[index].generation == token.generation else {
            waiter.continuation.resume(throwing: ReactorError.closed)
            return
        }
        switch interest {
        case .read:
            if slots[index].readable {
                slots[index].readable = false
                waiter.continuation.resume()
                return
            }
            // One reader at a time is the rule every connection keeps; a second would silently
            // replace the first, whose task would then never resume.
            precondition(slots[index].reader == nil, "two readers waiting on one socket")
            slots[index].reader = waiter
        case .write:
            if slots[index].writable {
                slots[index].writable = false
                waiter.continuation.resume()
                return
            }
            precondition(slots[index].writer == nil, "two writers waiting on one socket")
            slots[index].writer = waiter
        }
        if let deadline {
            timers.schedule(
                TimerHeap.key(slot: token.slot, interest: interest), deadline: deadline, waiterID: waiter.id)
        }
    }

    /// Removes the descriptor from epoll and frees its slot; the caller closes the descriptor.
    ///
    /// From another thread the slot is freed on the loop's next pass, without waking the loop:
    /// a descriptor is closed only once no task uses it (see `Socket.close`), so no wait is
    /// parked in the slot, and while the slot is in use the loop sleeps no longer than
    /// `idleTick`. Waking it cost a thread hand-off for every connection the pool closed: about
    /// one in seven of those a call on a new connection makes.
    package func deregister(_ token: ReactorToken, fd: Int32) {
        if isCurrent {
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
            freeSlot(token)
        } else {
            // epoll_ctl is thread-safe; the slot itself is only touched on the loop.
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
            inbox.withLock { $0.messages.append(.release(token)) }
        }
    }

    private func freeSlot(_ token: ReactorToken) {
        let index = Int(token.slot)
        guard slots[index].inUse, slots[index].generation == token.generation else { return }
        let reader = slots[index].reader
        let writer = slots[index].writer
        slots[index] = Slot(generation: slots[index].generation &+ 1)
        freeSlots.append(token.slot)
        timers.remove(TimerHeap.key(slot: token.slot, interest: .read))
        timers.remove(TimerHeap.key(slot: token.slot, interest: .write))
        reader?.continuation.resume(throwing: ReactorError.closed)
        writer?.continuation.resume(throwing: ReactorError.closed)
    }

    // MARK: Cross-thread messages

    private func post(_ message: Message) {
        inbox.withLock { $0.messages.append(message) }
        wake()
    }

    private func wake() {
        if needsWake.exchange(false, ordering: .acquiringAndReleasing) {
            var one: UInt64 = 1
            _ = Glibc.write(wakeFD, &one, 8)
        }
    }

    private func handle(_ message: Message) {
        switch message {
        case .install(let waiter, let token, let interest, let deadline):
            install(waiter, token: token, interest: interest, deadline: deadline)
        case .cancel(let token, let interest, let waiterID):
            resume(token, interest, waiterID: waiterID, throwing: CancellationError())
        case .release(let token):
            freeSlot(token)
        }
    }

    /// Resumes the waiter only if it is still the one identified, so a late cancel or timer
    /// never hits a newer wait.
    private func resume(_ token: ReactorToken, _ interest: Interest, waiterID: UInt64, throwing error: any Error) {
        let index = Int(token.slot)
        guard index < slots.count, slots[index].generation == token.generation else { return }
        switch interest {
        case .read:
            guard let waiter = slots[index].reader, waiter.id == waiterID else { return }
            slots[index].reader = nil
            timers.remove(TimerHeap.key(slot: token.slot, interest: .read))
            waiter.continuation.resume(throwing: error)
        case .write:
            guard let waiter = slots[index].writer, waiter.id == waiterID else { return }
            slots[index].writer = nil
            timers.remove(TimerHeap.key(slot: token.slot, interest: .write))
            waiter.continuation.resume(throwing: error)
        }
    }

    // MARK: Loop

    private func run() -> Never {
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        while true {
            runJobs()
            let timeout = sleepTimeout()
            let count = epoll_wait(epollFD, events, Int32(capacity), timeout)
            needsWake.store(false, ordering: .relaxed)
            if count > 0 {
                for i in 0..<Int(count) {
                    dispatch(events[i])
                }
            }
            fireTimers()
        }
    }

    private func runJobs() {
        var rounds = 0
        repeat {
            inbox.withLock { inbox in
                swap(&inbox.jobs, &drainingJobs)
                swap(&inbox.messages, &drainingMessages)
            }
            for message in drainingMessages { handle(message) }
            drainingMessages.removeAll(keepingCapacity: true)
            runDrainingJobs()
            while !localJobs.isEmpty {
                swap(&localJobs, &drainingJobs)
                runDrainingJobs()
            }
            rounds += 1
        } while rounds < 4 && inbox.withLock({ !$0.jobs.isEmpty || !$0.messages.isEmpty })
    }

    private func runDrainingJobs() {
        for job in drainingJobs { run(job) }
        drainingJobs.removeAll(keepingCapacity: true)
    }

    private func run(_ job: UnownedJob) {
        // As a task executor only: run isolated to a serial executor, every call into a
        // nonisolated async function would count as leaving it and be enqueued again here
        // (measured: 13 extra enqueues per exchange).
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    /// Milliseconds `epoll_wait` may sleep: 0 when work is pending, else until the next deadline.
    /// Publishing `needsWake` before the final inbox check is what prevents a lost wakeup.
    private func sleepTimeout() -> Int32 {
        if !localJobs.isEmpty { return 0 }
        let now = ContinuousClock.now
        var sleep = timers.earliest.map { now.duration(to: $0) }
        if slots.count > freeSlots.count { sleep = min(sleep ?? idleTick, idleTick) }
        // Published before the inbox check below, which orders it before any poster's read.
        plannedWake.store(sleep.map { nanoseconds(at: now + $0) } ?? .max, ordering: .relaxed)
        needsWake.store(true, ordering: .sequentiallyConsistent)
        if inbox.withLock({ !$0.jobs.isEmpty || !$0.messages.isEmpty }) {
            needsWake.store(false, ordering: .relaxed)
            return 0
        }
        guard let remaining = sleep else { return -1 }
        if remaining <= .zero { return 0 }
        let (seconds, attoseconds) = remaining.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    private func dispatch(_ event: epoll_event) {
        let token = ReactorToken(raw: event.data.u64)
        if token == .wakeup {
            var value: UInt64 = 0
            _ = Glibc.read(wakeFD, &value, 8)
            return
        }
        let index = Int(token.slot)
        guard index < slots.count, slots[index].inUse, slots[index].generation == token.generation else { return }
        let flags = event.events
        let failed = flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        if failed || flags & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
            if let reader = slots[index].reader {
                slots[index].reader = nil
                timers.remove(TimerHeap.key(slot: token.slot, interest: .read))
                reader.continuation.resume()
            } else {
                slots[index].readable = true
            }
        }
        if failed || flags & EPOLLOUT.rawValue != 0 {
            if let writer = slots[index].writer {
                slots[index].writer = nil
                timers.remove(TimerHeap.key(slot: token.slot, interest: .write))
                writer.continuation.resume()
            } else {
                slots[index].writable = true
            }
        }
    }

    private func fireTimers() {
        guard !timers.isEmpty else { return }
        let now = ContinuousClock.now
        while let entry = timers.popDue(now: now) {
            let slot = UInt32(entry.key / 2)
            let token = ReactorToken(slot: slot, generation: slots[Int(slot)].generation)
            resume(
                token, entry.key % 2 == 0 ? .read : .write, waiterID: entry.waiterID, throwing: ReactorError.timedOut)
        }
    }
}
