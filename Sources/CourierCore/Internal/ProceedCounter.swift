import Synchronization

/// Counts `proceed` calls made through one network interceptor's chain. Atomic because a
/// misbehaving interceptor may call `proceed` from several tasks at once.
final class ProceedCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Adds one and returns the new count.
    func increment() -> Int {
        count.wrappingAdd(1, ordering: .relaxed).newValue
    }

    var value: Int { count.load(ordering: .relaxed) }
}
