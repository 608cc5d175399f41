import Synchronization

/// Admits one reader of a body source at a time. A second concurrent reader gets an error
/// instead of a data race; that exclusion is what lets body sources keep unsynchronised state.
package final class SingleReader: Sendable {
    private let busy = Atomic<Bool>(false)

    package init() {}

    /// Enters, or throws `.bodyAlreadyConsumed` if another task is reading.
    package func enter() throws(HTTPClientError) {
        guard tryEnter() else {
            throw HTTPClientError(.bodyAlreadyConsumed, "The response body is being read by another task.")
        }
    }

    /// Enters if nobody is reading.
    private func tryEnter() -> Bool {
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    package func leave() {
        busy.store(false, ordering: .releasing)
    }
}
