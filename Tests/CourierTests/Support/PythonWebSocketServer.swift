import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// Python's `websockets` server (Fixtures/websocket_server.py, Debian python3-websockets) on
/// an ephemeral loopback port: a WebSocket peer that is not ours. Stopped by its PID.
final class PythonWebSocketServer: @unchecked Sendable {
    // Built and stopped by one test task: that is what makes it safe.
    let process: Process
    let port: Int

    /// Debian's interpreter, which has the module (a pyenv `python3` earlier on PATH may not).
    static let python = "/usr/bin/python3"

    init() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/websocket_server.py")
        // A port probed free may be taken before the server binds it: then try another.
        for _ in 0..<5 {
            let reactor = try ReactorGroup.shared.nextReactor()
            let port = try await withTaskExecutorPreference(reactor) {
                let probe = try ListeningSocket(host: "127.0.0.1", port: 0, on: reactor)
                defer { probe.close() }
                return probe.address.port
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.python)
            process.arguments = [script.path, String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try ProcessLaunch.serialized { try process.run() }
            // Ready once it listens: at most 10 s (the interpreter starts slowly on a busy machine).
            for _ in 0..<200 where process.isRunning {
                if ListeningProbe.listens(pid: process.processIdentifier, port: port) {
                    self.process = process
                    self.port = port
                    return
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            await PythonWebSocketServer.stop(process)
        }
        throw HTTPClientError(.connectFailed, "the Python WebSocket server did not start listening (5 attempts)")
    }

    func url(_ path: String) -> URL { URL(string: "ws://127.0.0.1:\(port)\(path)")! }

    func stop() async {
        await PythonWebSocketServer.stop(process)
    }

    /// SIGTERM, up to 2 s to exit (awaited, never blocking a thread), then SIGKILL.
    private static func stop(_ process: Process) async {
        let pid = process.processIdentifier
        if process.isRunning { kill(pid, SIGTERM) }
        for _ in 0..<200 where process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}
