import Synchronization

/// One process launch at a time, for the test helpers that start curl, nghttp and nghttpd.
///
/// Foundation's `Process.run()` on Linux is not safe to call from two threads at once: with the
/// suite running in parallel, two launches crashed in a `memcpy` inside it (once in about twenty
/// runs). Launches are rare and fast, so a process-wide lock costs nothing worth measuring.
package enum ProcessLaunch {
    private static let lock = Mutex(())

    package static func serialized(_ launch: () throws -> Void) rethrows {
        try lock.withLock { _ in try launch() }
    }
}
