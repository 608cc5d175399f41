import CourierTransport
import Glibc
import Testing

extension ProcessWide {
    /// Process limits that a library must report, never trap on.
    @Suite("Process limits")
    struct LimitTests {
        @Test("Out of descriptors (EMFILE), starting a reactor throws instead of trapping")
        func reactorWithoutDescriptors() throws {
            let descriptors = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
            var saved = rlimit()
            #expect(getrlimit(descriptors, &saved) == 0)
            var lowered = saved
            // Descriptors 0–2 are always open, so every new one is refused.
            lowered.rlim_cur = 3
            #expect(setrlimit(descriptors, &lowered) == 0)
            let group = ReactorGroup(count: 1)
            let outcome = Result { () throws(SocketError) in try group.nextReactor() }
            #expect(setrlimit(descriptors, &saved) == 0)
            guard case .failure(let error) = outcome else {
                Issue.record("a reactor started without a free descriptor")
                return
            }
            #expect(error.errno == EMFILE)
            // With descriptors back, the same group starts its reactor.
            #expect(throws: Never.self) { try group.nextReactor() }
        }
    }
}
