import Glibc
import Synchronization

/// The process's reactors: one per two cores (at least one, at most four), each started on first
/// use, and handed out round-robin to new connections, which stay on their reactor for life.
///
/// A reactor that cannot start (no descriptors or threads left) is an error for the connection
/// that asked, and is tried again for the next one.
package final class ReactorGroup: Sendable {
    package static let shared = ReactorGroup(count: max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN)) / 2)))

    private let count: Int
    private let name: String
    private let reactors = Mutex<[Reactor]>([])
    private let next = Atomic<Int>(0)

    /// `name` prefixes the reactors' thread names.
    package init(count: Int, name: String = "courier-io") {
        self.count = count
        self.name = name
    }

    package func nextReactor() throws(SocketError) -> Reactor {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue % count
        return try reactors.withLock { (reactors) throws(SocketError) -> Reactor in
            while reactors.count <= index {
                reactors.append(try Reactor(name: "\(name)-\(reactors.count)"))
            }
            return reactors[index]
        }
    }
}
