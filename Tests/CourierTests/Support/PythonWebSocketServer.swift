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
        (process, port) = try await LoopbackServerProcess.start(
            Self.python, readyWithin: .seconds(10), stop: { await PythonWebSocketServer.stop($0) }
        ) { port in [script.path, String(port)] }
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
