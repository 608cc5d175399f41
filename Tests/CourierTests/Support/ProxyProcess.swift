import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// A real proxy program (tinyproxy, dante's danted) started for one test on 127.0.0.1 at an
/// ephemeral port, with its configuration in a folder of its own; stopped by its PID.
final class ProxyProcess: @unchecked Sendable {
    // Built and stopped by one test task: that is what makes it safe.
    let process: Process
    let port: Int
    private let folder: URL

    /// Whether tinyproxy and danted are there (`make test` installs them).
    static let realProxiesInstalled =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/tinyproxy")
        && FileManager.default.isExecutableFile(atPath: "/usr/sbin/danted")

    /// Starts `executable` with `arguments(configPath)`, after writing `config(port, folder)`
    /// to the configuration file for each port tried.
    private init(
        _ executable: String, config: @escaping @Sendable (Int, String) -> String,
        arguments: @escaping @Sendable (String) -> [String]
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("courier-proxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let configPath = folder.appendingPathComponent("proxy.conf").path
        do {
            (process, port) = try await LoopbackServerProcess.start(
                executable, readyWithin: .seconds(5), stop: { ProxyProcess.stop($0) }
            ) { port in
                try? Data(config(port, folder.path).utf8).write(to: URL(fileURLWithPath: configPath))
                return arguments(configPath)
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        self.folder = folder
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

    /// SIGKILL, and a wait of at most 2 s for it to be gone; off the cooperative pool. Not
    /// SIGTERM: both programs ignore it when started from the test process (whose ignored
    /// signals they inherit), and a test proxy has nothing to shut down cleanly.
    func stop() async {
        let (process, folder) = (self.process, self.folder)
        _ = try? await BlockingWorkPool.shared.run {
            ProxyProcess.stop(process)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// The whole process group when the program leads its own (dante's children, which relay
    /// the tunnels, would otherwise keep relaying after their parent is gone).
    private static func stop(_ process: Process) {
        let pid = process.processIdentifier
        guard process.isRunning else { return }
        kill(getpgid(pid) == pid ? -pid : pid, SIGKILL)
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
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
