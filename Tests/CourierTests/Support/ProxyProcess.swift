import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// A real proxy program (tinyproxy, dante's danted) started for one test on 127.0.0.1 at an
/// ephemeral port, with its configuration in a folder of its own; a ``ChildProcess``, so that
/// stopping it stops dante's children too.
final class ProxyProcess: Sendable {
    private let process: ChildProcess
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
            let process = try ChildProcess([executable] + arguments(configPath))
            for _ in 0..<250 {
                if ListeningProbe.listens(pid: process.pid, port: probe.port) {
                    self.process = process
                    self.port = probe.port
                    return
                }
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            await ProxyProcess.stop(process, folder: nil)
        }
        await ProxyProcess.stop(nil, folder: folder)
        throw HTTPClientError(.connectFailed, "\(executable) did not start listening (5 attempts)")
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
    /// otherwise keep relaying), the exit awaited; a test proxy has nothing to shut down cleanly.
    func stop() async {
        await ProxyProcess.stop(process, folder: folder)
    }

    private static func stop(_ process: ChildProcess?, folder: String?) async {
        await process?.stop(SIGKILL)
        if let folder { _ = try? await BlockingWorkPool.shared.run { system("rm -rf '\(folder)'") } }
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
