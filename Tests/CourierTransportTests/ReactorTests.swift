import Glibc
import Testing

@testable import CourierTransport

@Suite("Reactor")
struct ReactorTests {
    /// A connected socket pair registered with the reactor: one end for the test to drive.
    private func pair(on reactor: Reactor) async throws -> (Socket, Int32) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0)
        let socket = try await withTaskExecutorPreference(reactor) { try Socket.adopt(fds[0], on: reactor) }
        return (socket, fds[1])
    }

    @Test("Pinned tasks run on the reactor thread")
    func pinned() async {
        let reactor = ReactorGroup.shared.nextReactor()
        let onReactor = await withTaskExecutorPreference(reactor) { reactor.isCurrent }
        #expect(onReactor)
        #expect(!reactor.isCurrent)
    }

    @Test("A read waits for data and is resumed by readiness")
    func readiness() async throws {
        let reactor = ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        let reader = Task(executorPreference: reactor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: nil)
        }
        await Task.yield()
        #expect(write(peer, "ping", 4) == 4)
        #expect(try await reader.value == 4)
        socket.close()
    }

    @Test("A wait past its deadline fails with timedOut")
    func deadline() async throws {
        let reactor = ReactorGroup.shared.nextReactor()
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
        let reactor = ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        defer { close(peer) }
        let reader = Task(executorPreference: reactor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: nil)
        }
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        let again = Task(executorPreference: reactor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: nil)
        }
        #expect(write(peer, "x", 1) == 1)
        #expect(try await again.value == 1)
        socket.close()
    }

    @Test("End of stream reads as 0 bytes")
    func endOfStream() async throws {
        let reactor = ReactorGroup.shared.nextReactor()
        let (socket, peer) = try await pair(on: reactor)
        close(peer)
        let count = try await withTaskExecutorPreference(reactor) {
            var buffer = ReceiveBuffer()
            return try await socket.read(into: &buffer, deadline: nil)
        }
        #expect(count == 0)
        socket.close()
    }

    @Test("Timers fire in deadline order")
    func timerHeap() {
        var heap = TimerHeap()
        let base = ContinuousClock.now
        for offset in [5, 1, 4, 2, 3] {
            heap.push(
                .init(
                    deadline: base + .milliseconds(offset), token: ReactorToken(slot: UInt32(offset), generation: 0),
                    interest: .read, waiterID: 0))
        }
        var order: [UInt32] = []
        while let entry = heap.popDue(now: base + .milliseconds(10)) { order.append(entry.token.slot) }
        #expect(order == [1, 2, 3, 4, 5])
        #expect(heap.popDue(now: base) == nil)
    }
}
