import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// A real proxy program (tinyproxy, dante's danted) started for one test on 127.0.0.1 at an
/// ephemeral port, with its configuration in a folder of its own; stopped by its PID.
///
/// Started with `posix_spawn`, not Foundation's `Process`: `Process.run()` crashed in a `memcpy`
/// while the parallel suite held some 1 400 descriptors. The child gets none of them (closefrom 3:
/// an inherited descriptor, such as the build lock's, would outlive the test), leads its own
/// process group (dante's children are stopped with it), and writes to /dev/null.
final class ProxyProcess: Sendable {
    let pid: pid_t
    let port: Int
    private let folder: String

    /// Whether tinyproxy and danted are there (`make test` installs them).
    static let realProxiesInstalled =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tinyproxy")
        && FileManager.default.isExecutableFile(atPath: "/usr/sbin/danted")

    /// Starts `executable` with `arguments(configPath)` once `config(port, folder)` is written
    /// to the configuration file, and returns when the program itself listens on the port. A
    /// port probed free may be taken before the program binds it (by a test server in a
    /// parallel test); then a new port and a new process, up to five times.
    private init(
        _ executable: String, config: (Int, String) -> String, arguments: (String) -> [String]
    ) async throws {
        let folder = "/tmp/courier-proxy-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(folder, 0o755)
        let configPath = folder + "/proxy.conf"
        self.folder = folder
        for _ in 0..<5 {
            let probe = try LoopbackListener(backlog: nil)
            close(probe.fd)
            guard let file = fopen(configPath, "w") else { break }
            fputs(config(probe.port, folder), file)
            fclose(file)
            let pid = try ProxyProcess.spawn([executable] + arguments(configPath))
            for _ in 0..<250 {
                if ListeningProbe.listens(pid: pid, port: probe.port) {
                    self.pid = pid
                    self.port = probe.port
                    return
                }
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            await ProxyProcess.stop(pid: pid, folder: nil)
        }
        await ProxyProcess.stop(pid: nil, folder: folder)
        throw HTTPClientError(.connectFailed, "\(executable) did not start listening (5 attempts)")
    }

    /// glibc 2.34's `posix_spawn_file_actions_addclosefrom_np`, which the Glibc module does not
    /// export (it is behind `_GNU_SOURCE`).
    private static let addCloseFrom:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else {
                return nil
            }
            return unsafeBitCast(
                symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

    private static func spawn(_ arguments: [String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        guard let closefrom = ProxyProcess.addCloseFrom, closefrom(&actions, 3) == 0 else {
            throw HTTPClientError(.connectFailed, "posix_spawn_file_actions_addclosefrom_np is unavailable")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var result: Int32 = 0
        ProcessLaunch.serialized { result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ) }
        guard result == 0 else {
            throw HTTPClientError(.connectFailed, "posix_spawn \(arguments[0]) failed: \(result)")
        }
        return pid
    }

    /// tinyproxy (Debian `tinyproxy`) in the foreground. `basicAuth` requires those credentials;
    /// `connectPorts` limits the ports `CONNECT` may reach (tinyproxy answers 403 to others).
    static func tinyproxy(
        basicAuth: (user: String, password: String)? = nil, connectPorts: [Int] = []
    ) async throws
        -> ProxyProcess
    {
        try await ProxyProcess("/usr/bin/tinyproxy") { port, folder in
            """
            Port \(port)
            Listen 127.0.0.1
            Timeout 60
            MaxClients 200
            Allow 127.0.0.1
            LogLevel Error
            LogFile "\(folder)/tinyproxy.log"
            DisableViaHeader Yes
            \(basicAuth.map { "BasicAuth \($0.user) \($0.password)" } ?? "")
            \(connectPorts.map { "ConnectPort \($0)" }.joined(separator: "\n"))
            """
        } arguments: {
            ["-d", "-c", $0]
        }
    }

    /// dante's `danted` (Debian `dante-server`), SOCKS5 `CONNECT` from loopback to anywhere.
    /// With `usernameAuthentication` it asks for a username and password, which dante checks
    /// against the system's users: see ``SOCKSTestUser``.
    static func dante(usernameAuthentication: Bool = false) async throws -> ProxyProcess {
        if usernameAuthentication { try SOCKSTestUser.ensure() }
        return try await ProxyProcess("/usr/sbin/danted") { port, folder in
            """
            logoutput: \(folder)/danted.log
            internal: 127.0.0.1 port = \(port)
            external: 127.0.0.1
            clientmethod: none
            socksmethod: \(usernameAuthentication ? "username" : "none")
            user.privileged: root
            user.unprivileged: nobody
            client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }
            socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }
            """
        } arguments: {
            ["-f", $0]
        }
    }

    /// SIGKILL to the program's process group (dante's children relay the tunnels and would
    /// otherwise keep relaying), then reaped; off the cooperative pool. Not SIGTERM: both
    /// programs ignore it when started from the test process, whose ignored signals they
    /// inherit, and a test proxy has nothing to shut down cleanly.
    func stop() async {
        await ProxyProcess.stop(pid: pid, folder: folder)
    }

    /// Bounded: never more than 2 s on a blocking-work thread, which DNS and TLS set-up share.
    private static func stop(pid: pid_t?, folder: String?) async {
        _ = try? await BlockingWorkPool.shared.run {
            if let pid {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                var status: Int32 = 0
                for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
            }
            if let folder { _ = system("rm -rf '\(folder)'") }
        }
    }
}

/// The system user dante checks SOCKS5 usernames and passwords against (it has no user list of
/// its own: `socksmethod: username` means the system's password database).
/// `scripts/ensure-socks-user.sh` creates it, which `make test` runs (`deps-test`); the tests
/// only look for it, so that they never start `useradd` themselves.
enum SOCKSTestUser {
    static let name = "couriersocks"
    static let password = "courier-socks-test"

    static func ensure() throws {
        guard getpwnam(name) != nil else {
            throw HTTPClientError(
                .invalidRequest, "System user \(name) is missing: run scripts/ensure-socks-user.sh (make deps-test).")
        }
    }
}
