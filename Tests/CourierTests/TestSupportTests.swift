import CourierTestServer
import Synchronization
import Testing

/// The waits tests rely on end, so a broken build fails a test instead of hanging the suite.
@Suite("Bounded waits in tests")
struct TestSupportTests {
    @Test("withTimeout fails at its limit even when the body ignores cancellation")
    func timeoutDoesNotWaitForTheBody() async throws {
        let body = ParkedBody()
        // Should withTimeout wait for its body after all, this lets the body go after 30 s, so
        // that the test fails instead of hanging the suite.
        let rescue = Task {
            try await Task.sleep(for: .seconds(30))
            body.release()
        }
        await #expect(throws: TestTimedOut.self) {
            try await withTimeout(.milliseconds(200)) { await body.park() }
        }
        // Ordering, not time: the limit ended the wait while the body was still parked.
        #expect(!body.ended)
        rescue.cancel()
        body.release()
    }

    @Test("takeRequest fails at its limit when no request comes")
    func takeRequestTimesOut() async throws {
        let server = try await TestServer()
        await #expect(throws: RequestWaitTimedOut.self) { try await server.takeRequest(timeout: .milliseconds(100)) }
        await server.shutdown()
    }

    @Test("A cancelled takeRequest throws CancellationError")
    func takeRequestCancels() async throws {
        let server = try await TestServer()
        let waiting = Task { try await server.takeRequest(timeout: .seconds(3600)) }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        await server.shutdown()
    }
}

/// A test body that waits until released, and says whether it ran past the wait.
private final class ParkedBody: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, ended: Bool)>((nil, false))

    func park() async {
        await withCheckedContinuation { continuation in state.withLock { $0.continuation = continuation } }
        state.withLock { $0.ended = true }
    }

    func release() {
        state.withLock { $0.continuation.take() }?.resume()
    }

    var ended: Bool { state.withLock { $0.ended } }
}
