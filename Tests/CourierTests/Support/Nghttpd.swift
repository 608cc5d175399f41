import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// A real nghttpd (Debian `nghttp2-server`) on an ephemeral loopback port, serving a temporary
/// folder; stopped by its PID.
///
/// Shared by CourierHTTP2Tests (the connection alone) and CourierTests (through `HTTPClient`):
/// Tests/CourierHTTP2Tests/Nghttpd.swift is a symbolic link to this file.
final class Nghttpd: @unchecked Sendable {
    // Built and stopped by one test task: that is what makes it safe.
    let process: ChildProcess
    let port: Int
    let folder: URL

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/nghttpd") }

    /// Serves `files` (name and content) and `links` (name and the path of an existing file,
    /// hard-linked or copied into the folder), over TLS with `tls` as its certificate or h2c
    /// without; `arguments` go to nghttpd as well (`-m 1000` for the concurrent-stream limit).
    init(
        files: [String: [UInt8]], links: [String: String] = [:], tls: HeldCertificate?, arguments extra: [String] = []
    ) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nghttpd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        for (name, path) in links {
            let target = folder.appendingPathComponent(name).path
            if link(path, target) != 0 { try FileManager.default.copyItem(atPath: path, toPath: target) }
        }
        var leading = ["-a", "127.0.0.1", "-d", folder.path] + extra
        var tail: [String] = []
        if let tls {
            let key = folder.appendingPathComponent("key.pem.private")
            let certificate = folder.appendingPathComponent("cert.pem.private")
            try Data(tls.privateKeyPEM.utf8).write(to: key)
            try Data(tls.certificatePEM.utf8).write(to: certificate)
            tail = [key.path, certificate.path]
        } else {
            leading += ["--no-tls"]
        }
        let (arguments, tailArguments) = (leading, tail)
        let started: (process: ChildProcess, port: Int)
        do {
            started = try await LoopbackServerProcess.start("/usr/sbin/nghttpd", readyWithin: .seconds(5)) { port in
                arguments + [String(port)] + tailArguments
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        (process, port) = started
    }

    func connect() async throws -> Socket {
        let reactor = try ReactorGroup.shared.nextReactor()
        let address = SocketAddress(numericHost: "127.0.0.1", port: port)!
        return try await withTaskExecutorPreference(reactor) {
            try await Socket.connect(to: address, on: reactor, deadline: .now + .seconds(2))
        }
    }

    /// Runs `body`, then stops the server, whether `body` threw or not.
    func serving<T>(_ body: () async throws -> T) async throws -> T {
        let result: T
        do {
            result = try await body()
        } catch {
            await stop()
            throw error
        }
        await stop()
        return result
    }

    /// SIGTERM, then SIGKILL after 2 s.
    func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(at: folder)
    }
}
