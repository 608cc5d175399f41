import CourierCache
import FoundationEssentials
import Synchronization

/// A clock the test sets: freshness and age rules are checked by stepping it, never by sleeping.
final class ManualCacheClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = Mutex(start)
    }

    var now: Date { current.withLock { $0 } }

    func advance(by seconds: Double) {
        current.withLock { $0 += seconds }
    }

    var cacheClock: CacheClock {
        CacheClock { self.now }
    }
}
