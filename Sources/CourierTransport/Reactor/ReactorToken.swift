/// Identifies a registered socket in `epoll_data.u64`: slot index and generation.
///
/// The generation changes whenever a slot is reused, so a late event or message for a closed
/// socket whose descriptor number was recycled is recognised and dropped (the ABA problem).
package struct ReactorToken: Hashable, Sendable {
    let slot: UInt32
    let generation: UInt32

    init(slot: UInt32, generation: UInt32) {
        self.slot = slot
        self.generation = generation
    }

    init(raw: UInt64) {
        self.slot = UInt32(truncatingIfNeeded: raw)
        self.generation = UInt32(truncatingIfNeeded: raw >> 32)
    }

    var raw: UInt64 { UInt64(generation) << 32 | UInt64(slot) }

    /// Reserved for the reactor's own eventfd.
    static let wakeup = ReactorToken(slot: .max, generation: .max)
}

/// Which readiness a task waits for.
package enum Interest: Sendable {
    case read
    case write
}

/// Why a wait ended without readiness.
package enum ReactorError: Error, Sendable {
    /// The wait's deadline passed.
    case timedOut
    /// The socket was closed while a task waited on it.
    case closed
}
