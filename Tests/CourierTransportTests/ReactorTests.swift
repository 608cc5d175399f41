import Glibc
import Testing

@testable import CourierTransport

@Suite("Reactor")
struct ReactorTests {
    /// A connected socket pair registered with the reactor: one end for the test to drive.
    /// Close-on-exec: a process another test starts meanwhile would otherwise inherit the
    /// test's end, and closing it here would not end the stream.
    private func pair(on reactor: Reactor) async throws -> (Socket, Int32) {
        var fds: [Int32] = [0, 0]
        let type = Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        #expect(socketpair(AF_UNIX, type, 0, &fds) == 0)
        let socket = try await withTaskExecutorPreference(reactor) { try Socket.adopt(fds[0], on: reactor) }
        return (socket, fds[1])
    }

    /// Starts a task pinned to the reactor that reads once from `socket`.
    private func readTask(_ socket: Socket, deadline: ContinuousClock.Instant? = nil) -> Task<Int, any Error> {
        Task(executorPreference: socket.reactor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: deadline)
        }
    }

    /// Starts a task on the global executor that reads once from `socket`: its wait is posted to the loop.
    private func unpinnedReadTask(_ socket: Socket, deadline: ContinuousClock.Instant? = nil) -> Task<Int, any Error> {
        Task(executorPreference: globalConcurrentExecutor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: deadline)
        }
    }

    @Test("hasInputReady: bytes waiting or the end of the stream, without consuming them")
    func inputReady() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        #expect(!socket.hasInputReady)
        #expect(write(peer, "ab", 2) == 2)
        #expect(socket.hasInputReady)
        #expect(try await readTask(socket).value == 2, "the peek consumed nothing")
        #expect(!socket.hasInputReady)
        close(peer)
        #expect(socket.hasInputReady, "a read now returns the end of the stream at once")
        socket.close()
    }

    @Test("A socket closed from another thread frees its slot at the loop's next pass, for the next socket")
    func releaseFromAnotherThread() async throws {
        // A reactor of its own, so that no other test's socket takes the slot in between.
        let reactor = try Reactor(name: "courier-test-release", idleTick: .milliseconds(50))
        let (socket, peer) = try await pair(on: reactor)
        let old = socket.token
        let closedElsewhere = await Task(executorPreference: globalConcurrentExecutor) {
            socket.close()
            return !reactor.isCurrent
        }.value
        #expect(closedElsewhere)
        // The hop onto the reactor is a pass of its loop, which handles its messages before its
        // jobs: the released slot is free again when the new socket registers.
        let (next, nextPeer) = try await pair(on: reactor)
        #expect(next.token.slot == old.slot)
        #expect(next.token.generation == old.generation &+ 1)
        next.close()
        close(peer)
        close(nextPeer)
    }

    @Test("Pinned tasks run on the reactor thread")
    func pinned() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let onReactor = await withTaskExecutorPreference(reactor) { reactor.isCurrent }
        #expect(onReactor)
        #expect(!reactor.isCurrent)
    }

    @Test("A read waits for data and is resumed by readiness")
    func readiness() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        let reader = readTask(socket)
        await Task.yield()
        #expect(write(peer, "ping", 4) == 4)
        #expect(try await reader.value == 4)
        socket.close()
    }

    @Test("A wait past its deadline fails with timedOut")
    func deadline() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        let start = ContinuousClock.now
        await #expect(throws: ReactorError.timedOut) {
            try await withTaskExecutorPreference(reactor) {
                var buffer = ReceiveBuffer()
                _ = try await socket.read(into: &buffer, deadline: .now + .milliseconds(50))
            }
        }
        #expect(ContinuousClock.now - start >= .milliseconds(50))
        socket.close()
    }

    @Test("Cancelling a waiting task resumes it once with CancellationError; the socket stays usable")
    func cancellation() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        let reader = readTask(socket)
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        let again = readTask(socket)
        #expect(write(peer, "x", 1) == 1)
        #expect(try await again.value == 1)
        socket.close()
    }

    @Test("End of stream reads as 0 bytes")
    func endOfStream() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        close(peer)
        let count = try await withTaskExecutorPreference(reactor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: nil)
        }
        #expect(count == 0)
        socket.close()
    }

    @Test("Deadlines fire in order, and a removed deadline never fires")
    func timerHeap() {
        var heap = TimerHeap()
        let base = ContinuousClock.now
        for offset in [5, 1, 4, 2, 3, 6] {
            heap.schedule(offset, deadline: base + .milliseconds(offset), waiterID: UInt64(offset))
        }
        heap.remove(4)
        heap.remove(6)
        heap.schedule(2, deadline: base + .milliseconds(7), waiterID: 22)
        #expect(heap.count == 4)
        var order: [Int] = []
        while let entry = heap.popDue(now: base + .milliseconds(10)) { order.append(entry.key) }
        #expect(order == [1, 3, 5, 2])
        #expect(heap.isEmpty)
        #expect(heap.popDue(now: base + .seconds(1)) == nil)
    }

    /// A reactor of this suite's own: the deadline count is a figure of the whole reactor.
    static let privateReactor = try! Reactor(name: "courier-test")

    @Test("Satisfied waits leave no deadline behind")
    func deadlinesAreRemoved() async throws {
        let reactor = ReactorTests.privateReactor
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        for _ in 0..<100 {
            let reader = readTask(socket, deadline: .now + .seconds(60))
            #expect(write(peer, "x", 1) == 1)
            #expect(try await reader.value == 1)
        }
        let pending = await withTaskExecutorPreference(reactor) { reactor.pendingDeadlineCount }
        #expect(pending == 0)
        socket.close()
    }

    @Test("A read from an unpinned task parks in the loop and is resumed by readiness, end of stream included")
    func unpinnedReadiness() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        let reader = unpinnedReadTask(socket)
        await Task.yield()
        #expect(write(peer, "ping", 4) == 4)
        #expect(try await reader.value == 4)
        let end = unpinnedReadTask(socket)
        close(peer)
        #expect(try await end.value == 0)
        socket.close()
    }

    /// The loop's idle tick is an hour here: only the wake-up for a deadline sooner than the
    /// loop's planned wake-up makes this end in time.
    @Test(
        "An unpinned wait past its deadline fails with timedOut, though the deadline is sooner than the loop's idle tick",
        .timeLimit(.minutes(1))
    )
    func unpinnedDeadline() async throws {
        let reactor = try Reactor(name: "courier-test-tick", idleTick: .seconds(3600))
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        // Read from the test's own (unpinned) task, so that the time limit's cancellation reaches it.
        var buffer = ReceiveBuffer()
        await #expect(throws: ReactorError.timedOut) {
            _ = try await socket.read(into: &buffer, deadline: .now + .milliseconds(50))
        }
        socket.close()
    }

    @Test("Cancelling an unpinned wait resumes it once with CancellationError; the socket stays usable")
    func unpinnedCancellation() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        let reader = unpinnedReadTask(socket)
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        let again = unpinnedReadTask(socket)
        #expect(write(peer, "x", 1) == 1)
        #expect(try await again.value == 1)
        socket.close()
    }

    /// The race the `poll` after posting exists for: the readiness edge came, and the loop took
    /// it while nobody waited, before the wait was posted. No further event will wake the loop,
    /// and its idle tick here is an hour: without the check the wait would hang.
    @Test("A wait posted after its edge was consumed still resumes at once", .timeLimit(.minutes(1)))
    func unpinnedWaitAfterEdge() async throws {
        let reactor = try Reactor(name: "courier-test-edge", idleTick: .seconds(3600))
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        #expect(write(peer, "ping", 4) == 4)
        // The data was queued (and epoll told) before this job's wake-up, so the loop has
        // dispatched the edge to the idle socket by the time the job runs.
        #expect(await withTaskExecutorPreference(reactor) { reactor.isCurrent })
        try await reactor.wait(socket.token, fd: socket.fd, for: .read, deadline: nil)
        var buffer = ReceiveBuffer()
        #expect(try await socket.read(into: &buffer, deadline: nil) == 4)
        socket.close()
    }

    @Test("An unpinned wait on a socket already closed fails with closed", .timeLimit(.minutes(1)))
    func unpinnedWaitAfterClose() async throws {
        let reactor = try ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        socket.close()
        await #expect(throws: ReactorError.closed) {
            try await reactor.wait(socket.token, fd: socket.fd, for: .read, deadline: nil)
        }
    }
}
