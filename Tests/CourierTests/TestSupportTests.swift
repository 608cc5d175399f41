import CourierTestServer
import Synchronization
import Testing

/// The waits tests rely on end, so a broken build fails a test instead of hanging the suite.
@Suite("Bounded waits in tests")
struct TestSupportTests {
    @Test("withTimeout fails at its limit even when the body ignores cancellation")
    func timeoutDoesNotWaitForTheBody() async throws {
        let parked = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let start = ContinuousClock.now
        await #expect(throws: TestTimedOut.self) {
            try await withTimeout(.milliseconds(200)) {
                await withCheckedContinuation { continuation in parked.withLock { $0 = continuation } }
            }
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        parked.withLock { $0.take() }?.resume()
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
