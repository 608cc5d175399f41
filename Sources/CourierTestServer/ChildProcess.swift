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
/// Its exit is awaited on a pidfd, which the reactor watches like a socket. Until it is stopped,
/// it is written down in ``ChildProcessRegistry``, so that if this process dies first, the next
/// test process stops it.
package final class ChildProcess: Sendable {
    package let pid: Int32
    /// Its entry in the registry; nil when it could not be written.
    private let entry: String?
    /// How the child ended, once it has; and whether it has been reaped. Until then it stays a
    /// zombie, which keeps its PID and its process group's ID from being reused, so that a
    /// signal to the group never reaches another program.
    private let state = Mutex<(exit: Exit?, reaped: Bool)>((nil, false))

    private enum Exit {
        case exited(Int32)
        case signalled
    }

    /// Starts `arguments[0]` with `arguments`.
    package init(
        _ arguments: [String], standardOutput: String = "/dev/null", standardError: String = "/dev/null"
    ) throws(ChildProcessError) {
        ChildProcessRegistry.stopOrphansOnce()
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
        self.entry = ChildProcessRegistry.record(pid)
    }

    /// A child never stopped is killed, with its group, and reaped if it has exited already.
    deinit {
        state.withLock { state in
            guard !state.reaped else { return }
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
        }
        if let entry { ChildProcessRegistry.remove(entry) }
    }

    /// How it ended, looked at without reaping it (`WNOWAIT`).
    private var exit: Exit? {
        state.withLock { state in
            if state.exit == nil && !state.reaped {
                var info = siginfo_t()
                if waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
                    info._sifields._sigchld.si_pid == pid
                {
                    state.exit =
                        info.si_code == CLD_EXITED ? .exited(info._sifields._sigchld.si_status) : .signalled
                }
            }
            return state.exit
        }
    }

    package var isRunning: Bool { exit == nil }

    /// The exit code of a child that exited normally; nil while it runs or when a signal ended it.
    package var exitCode: Int32? {
        guard case .exited(let code) = exit else { return nil }
        return code
    }

    /// Sends `signal` to the child's process group, which outlives an exited leader (dante's
    /// children relay on after the parent is gone); never once the child has been reaped.
    package func signal(_ signal: Int32) {
        state.withLock { state in
            guard !state.reaped else { return }
            kill(-pid, signal)
        }
    }

    /// How a wait learns of the exit.
    package enum ExitWatch: Sendable {
        /// On a pidfd the reactor watches, or by polling where no pidfd or reactor can be had
        /// (descriptors or threads exhausted).
        case pidfd
        /// By looking every 10 ms.
        case polling
    }

    /// Waits up to `limit` for the child to exit; true when it has.
    package func waitForExit(limit: Duration, watch: ExitWatch = .pidfd) async -> Bool {
        guard isRunning else { return true }
        let deadline = ContinuousClock.now + limit
        if watch == .pidfd, let exited = await waitOnPidfd(until: deadline) { return exited }
        while isRunning && ContinuousClock.now < deadline {
            guard (try? await Task.sleep(for: .milliseconds(10))) != nil else { break }
        }
        return !isRunning
    }

    /// Whether the child exited by `deadline`, learnt from a pidfd; nil when no pidfd or
    /// reactor could be had.
    private func waitOnPidfd(until deadline: ContinuousClock.Instant) async -> Bool? {
        let fd = pidfd_open(pid, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let reactor = try? ReactorGroup.shared.nextReactor() else { return nil }
        return await withTaskExecutorPreference(reactor) {
            guard let token = try? reactor.register(fd) else { return nil }
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

    /// `signal` to the group, up to `grace` to exit, then SIGKILL; the group's leader reaped.
    /// Waits even in a cancelled task (a test's clean-up after its time limit), and never by
    /// blocking a thread of the cooperative pool, which the parallel suite's tests need.
    package func stop(_ signal: Int32 = SIGTERM, grace: Duration = .seconds(2)) async {
        self.signal(signal)
        let exited = await Task { await self.waitForExit(limit: grace) }.value
        if !exited {
            self.signal(SIGKILL)
            _ = await Task { await self.waitForExit(limit: .seconds(5)) }.value
        }
        // The group's other members got the signals above; the leader is reaped now.
        self.signal(SIGKILL)
        state.withLock { state in
            var status: Int32 = 0
            if !state.reaped && waitpid(pid, &status, WNOHANG) == pid { state.reaped = true }
        }
        if let entry { ChildProcessRegistry.remove(entry) }
    }
}

package struct ChildProcessError: Error, CustomStringConvertible {
    package let description: String

    init(_ description: String) {
        self.description = description
    }
}
