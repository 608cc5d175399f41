import Synchronization

/// Identifiers for `ConnectionInfo.id`, unique across every connection type in the process.
package enum ConnectionIDs {
    private static let counter = Atomic<Int>(0)

    package static func next() -> Int {
        counter.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
