import CourierCore
import CourierTestServer
import CourierTransport
import FoundationEssentials
import Glibc
import Synchronization

/// Runs `body` against an nginx started for it, and stops that nginx afterwards whatever happens.
func withNginx<T: Sendable>(
    _ options: Nginx.Options = Nginx.Options(), _ body: (Nginx) async throws -> T
) async throws -> T {
    let nginx = try await Nginx(options)
    do {
        let result = try await body(nginx)
        await nginx.stop()
        return result
    } catch {
        await nginx.stop()
        throw error
    }
}

/// An nginx started for one test on 127.0.0.1 at an ephemeral port, and stopped by PID.
final class Nginx: Sendable {
    let port: Int
    /// HTTPS (HTTP/2 and HTTP/1.1 via ALPN) with a certificate for 127.0.0.1 issued by `authority`.
    let tlsPort: Int
    let authority: HeldCertificate
    private let process: ChildProcess
    private let prefix: String

    /// What a test may change in the configuration; the defaults are nginx's own, except that
    /// connections are kept for 100 000 requests.
    struct Options {
        /// `http2_max_concurrent_streams` (nginx: 128).
        var http2MaxConcurrentStreams: Int?
        /// `keepalive_requests`: requests per connection, HTTP/2 streams included (nginx 1.19.7 and
        /// later), after which nginx closes an HTTP/1.1 connection or sends GOAWAY on HTTP/2.
        var keepaliveRequests = 100_000
        /// Files served from the root, by name, hard-linked (or copied) from these paths.
        var files: [String: String] = [:]
    }

    /// The server's routes: `/hello` (13 bytes), `/echo` (answers any method), `/chunked`, `/big` (1 MiB file),
    /// `/connection` (nginx's serial number of the connection, `$connection`), and every file of
    /// the root again under `/slow/`, sent at 64 KiB/s, and under `/cache/fresh/` (`max-age=60`;
    /// a POST there answers 200), `/cache/no-cache/` and `/cache/no-store/`, each response with
    /// nginx's `$request_id` in `X-Request-Id` (`/page` is a small text file).
    fileprivate init(_ options: Options = Options()) async throws {
        Nginx.orphansRemoved.withLock { removed in
            if !removed { Nginx.removeOrphanedPrefixes() }
            removed = true
        }
        let prefix = "\(Nginx.prefixStem)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let authority = try HeldCertificate.authority(commonName: "Courier nginx test CA")
        let leaf = try HeldCertificate.leaf(hosts: ["localhost", "127.0.0.1"], issuedBy: authority)
        mkdir(prefix, 0o755)
        mkdir(prefix + "/html", 0o755)
        try Nginx.write(leaf.certificatePEM, to: prefix + "/leaf.pem")
        try Nginx.write(leaf.privateKeyPEM, to: prefix + "/leaf.key")
        try Nginx.write(String(repeating: "0123456789abcdef", count: 65536), to: prefix + "/html/big")
        try Nginx.write("a page to cache\n", to: prefix + "/html/page")
        for (name, path) in options.files {
            guard link(path, prefix + "/html/" + name) == 0 || system("cp '\(path)' '\(prefix)/html/\(name)'") == 0
            else {
                throw NginxError(message: "cannot place \(path) in nginx's root")
            }
        }
        self.prefix = prefix
        self.authority = authority
        // A port probed free may be taken before nginx binds it (by a test server in a parallel
        // test): nginx then exits, and a connect to the port reaches the other server. So the
        // ports count only once nginx itself listens on them; otherwise new ports, a new nginx.
        var attempt = 0
        while true {
            attempt += 1
            let port = try Nginx.freePort()
            let tlsPort = try Nginx.freePort()
            try Nginx.write(
                Nginx.config(prefix: prefix, port: port, tlsPort: tlsPort, options), to: prefix + "/nginx.conf")
            let process = try ChildProcess(["/usr/sbin/nginx", "-p", prefix, "-c", prefix + "/nginx.conf"])
            if try await Nginx.waitUntilListening(process, ports: [port, tlsPort]) {
                self.port = port
                self.tlsPort = tlsPort
                self.process = process
                return
            }
            await Nginx.stop(process, prefix: nil)
            guard attempt < 5 else {
                await Nginx.stop(nil, prefix: prefix)
                throw NginxError(message: "nginx did not start listening (5 attempts)")
            }
        }
    }

    private static func config(prefix: String, port: Int, tlsPort: Int, _ options: Options) -> String {
        """
        worker_processes 1;
        daemon off;
        master_process on;
        user root;
        pid \(prefix)/nginx.pid;
        error_log \(prefix)/error.log warn;
        events { worker_connections 1024; }
        http {
            access_log off;
            client_body_temp_path \(prefix)/body;
            proxy_temp_path \(prefix)/proxy;
            fastcgi_temp_path \(prefix)/fastcgi;
            uwsgi_temp_path \(prefix)/uwsgi;
            scgi_temp_path \(prefix)/scgi;
            keepalive_requests \(options.keepaliveRequests);
            \(options.http2MaxConcurrentStreams.map { "http2_max_concurrent_streams \($0);" } ?? "")
            server {
                listen 127.0.0.1:\(port);
                listen 127.0.0.1:\(tlsPort) ssl http2;
                ssl_certificate \(prefix)/leaf.pem;
                ssl_certificate_key \(prefix)/leaf.key;
                ssl_protocols TLSv1.2 TLSv1.3;
                root \(prefix)/html;
                location = /hello { default_type text/plain; return 200 "Hello, world!"; }
                location = /echo { default_type text/plain; return 200 "$request_method [$http_content_length] [$http_transfer_encoding] [$http_content_type]"; }
                location = /big { default_type application/octet-stream; }
                location = /connection { default_type text/plain; return 200 "$connection"; }
                location /slow/ { alias \(prefix)/html/; limit_rate 64k; }
                location /cache/fresh/ {
                    alias \(prefix)/html/; default_type text/plain;
                    add_header Cache-Control "max-age=60"; add_header X-Request-Id $request_id;
                    if ($request_method = POST) { return 200 "posted"; }
                }
                location /cache/no-cache/ {
                    alias \(prefix)/html/; default_type text/plain;
                    add_header Cache-Control "no-cache"; add_header X-Request-Id $request_id;
                }
                location /cache/no-store/ {
                    alias \(prefix)/html/; default_type text/plain;
                    add_header Cache-Control "no-store, max-age=60"; add_header X-Request-Id $request_id;
                }
            }
        }
        """
    }

    /// Stops this nginx (the processes it started) and removes its files, off the cooperative pool.
    func stop() async {
        await Nginx.stop(process, prefix: prefix)
    }

    /// SIGQUIT (nginx's graceful stop) to nginx's process group, then SIGKILL if it has not
    /// exited within 5 s; the exit awaited, never blocking a thread.
    private static func stop(_ process: ChildProcess?, prefix: String?) async {
        await process?.stop(SIGQUIT, grace: .seconds(5))
        if let prefix { _ = try? await BlockingWorkPool.shared.run { system("rm -rf '\(prefix)'") } }
    }

    /// Polls until nginx listens on `ports` itself, for at most 5 seconds; false when it exited
    /// (a port was taken) or did not get there.
    private static func waitUntilListening(_ process: ChildProcess, ports: [Int]) async throws -> Bool {
        for _ in 0..<250 {
            if ports.allSatisfy({ ListeningProbe.listens(pid: process.pid, port: $0) && Nginx.accepts(port: $0) }) {
                return true
            }
            guard process.isRunning else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    private static func accepts(port: Int) -> Bool {
        guard let address = SocketAddress(numericHost: "127.0.0.1", port: port) else { return false }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        return address.withSockAddr { connect(fd, $0, $1) } == 0
    }

    /// A port free right now (a small race with other binders remains, as with any such probe).
    private static func freePort() throws -> Int {
        let probe = try LoopbackListener(backlog: nil)
        close(probe.fd)
        return probe.port
    }

    private static func write(_ text: String, to path: String) throws {
        guard let file = fopen(path, "w") else { throw NginxError(message: "cannot write \(path)") }
        fputs(text, file)
        fclose(file)
    }

    /// Every nginx of this suite lives in a prefix named for the test process that started it.
    private static let prefixStem = "/tmp/courier-nginx-"
    private static let orphansRemoved = Mutex(false)

    /// Removes the prefixes a killed test process left behind (its `stop` never ran), once per
    /// test process; the nginx it left running is stopped by `ChildProcessRegistry`.
    private static func removeOrphanedPrefixes() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for name in names where ("/tmp/" + name).hasPrefix(prefixStem) {
            let prefix = "/tmp/" + name
            let owner = name.dropFirst(prefixStem.count - "/tmp/".count).split(separator: "-").first.flatMap {
                pid_t($0)
            }
            guard let owner, owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            _ = system("rm -rf '\(prefix)'")
        }
    }
}

struct NginxError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
