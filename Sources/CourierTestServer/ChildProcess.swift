import CCourierSystem
import CourierTransport
import Glibc
import Synchronization

/// A program a test starts beside the suite (curl, nghttp, nghttpd, nginx, tinyproxy, danted,
/// python3), by `posix_spawn`.
///
/// Not Foundation's `Process`: on Linux its `run()` looks for the highest open descriptor by
/// copying whole `dirent` names out of `/proc/self/fd`, reading up to 256 octets past a short
/// record, and crashes when that runs off the end of a mapping (swift-corelibs-foundation#5472,
/// still in Swift 6.3.1): about once in ten parallel runs here.
///
/// The child reads /dev/null, writes its output where it is told (/dev/null by default),
/// inherits no other descriptor (an inherited one, such as the build lock's, would outlive the
/// test), and leads its own process group, so that a signal reaches the children it starts.
/// Its exit is awaited on a pidfd, which the reactor watches like a socket.
package final class ChildProcess: Sendable {
    package let pid: Int32
    package let executable: String
    /// `waitpid`'s status once the child has been reaped.
    private let reaped = Mutex<Int32?>(nil)

    /// Starts `arguments[0]` with `arguments`.
    package init(
        _ arguments: [String], standardOutput: String = "/dev/null", standardError: String = "/dev/null"
    ) throws(ChildProcessError) {
        executable = arguments[0]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default dispositions and no blocked signals: a child inherits the ones this process
        // ignores or blocks, and tinyproxy and danted then ignored SIGTERM.
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else { throw ChildProcessError("posix_spawn \(arguments[0]) failed: errno \(result)") }
        self.pid = pid
    }

    /// The exit status as `waitpid` reports it once the child has exited, else nil.
    package var terminationStatus: Int32? {
        reaped.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            }
            return status
        }
    }

    package var isRunning: Bool { terminationStatus == nil }

    /// The exit code of a child that exited normally.
    package var exitCode: Int32? {
        guard let status = terminationStatus, status & 0x7F == 0 else { return nil }
        return (status >> 8) & 0xFF
    }

    /// Sends `signal` to the child's process group.
    package func signal(_ signal: Int32) {
        guard isRunning else { return }
        kill(-pid, signal)
    }

    /// Waits up to `limit` for the child to exit; true when it has.
    package func waitForExit(limit: Duration) async -> Bool {
        guard isRunning else { return true }
        let fd = pidfd_open(pid, 0)
        guard fd >= 0 else { return !isRunning }
        defer { close(fd) }
        let deadline = ContinuousClock.now + limit
        guard let reactor = try? ReactorGroup.shared.nextReactor() else { return !isRunning }
        return await withTaskExecutorPreference(reactor) {
            guard let token = try? reactor.register(fd) else { return !isRunning }
            defer { reactor.deregister(token, fd: fd) }
            // A pidfd reads as ready once its process has exited.
            while isRunning {
                do {
                    try await reactor.wait(token, fd: fd, for: .read, deadline: deadline)
                } catch {
                    return !isRunning
                }
            }
            return true
        }
    }

    /// SIGTERM, up to `grace` to exit, then SIGKILL, and the child reaped; awaited, never by
    /// blocking a thread of the cooperative pool, which the parallel suite's tests need.
    package func stop(grace: Duration = .seconds(2)) async {
        signal(SIGTERM)
        guard await !waitForExit(limit: grace) else { return }
        signal(SIGKILL)
        _ = await waitForExit(limit: .seconds(5))
    }
}

package struct ChildProcessError: Error, CustomStringConvertible {
    package let description: String

    init(_ description: String) {
        self.description = description
    }
}
