import Glibc
import Synchronization

/// The process's reactors: started on first use, one per two cores (at least one, at most four),
/// and handed out round-robin to new connections, which stay on their reactor for life.
package final class ReactorGroup: Sendable {
    package static let shared = ReactorGroup(count: max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN)) / 2)))

    private let reactors: [Reactor]
    private let next = Atomic<Int>(0)

    package init(count: Int) {
        reactors = (0..<count).map { Reactor(name: "courier-io-\($0)") }
    }

    package func nextReactor() -> Reactor {
        reactors[next.wrappingAdd(1, ordering: .relaxed).oldValue % reactors.count]
    }
}
