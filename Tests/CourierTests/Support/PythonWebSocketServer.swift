import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// Python's `websockets` server (Fixtures/websocket_server.py, Debian python3-websockets) on
/// an ephemeral loopback port: a WebSocket peer that is not ours. Stopped by its PID.
final class PythonWebSocketServer: @unchecked Sendable {
    // Built and stopped by one test task: that is what makes it safe.
    let process: ChildProcess
    let port: Int

    /// Debian's interpreter, which has the module (a pyenv `python3` earlier on PATH may not).
    static let python = "/usr/bin/python3"

    init() async throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/websocket_server.py")
        (process, port) = try await LoopbackServerProcess.start(Self.python, readyWithin: .seconds(10)) { port in
            [script.path, String(port)]
        }
    }

    func url(_ path: String) -> URL { URL(string: "ws://127.0.0.1:\(port)\(path)")! }

    /// SIGTERM, then SIGKILL after 2 s.
    func stop() async {
        await process.stop()
    }
}
