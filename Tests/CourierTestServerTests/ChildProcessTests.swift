import CourierTestServer
import Foundation
import Glibc
import Testing

/// The programs tests start: an exit awaited and its code read, a wait that runs out, a stop
/// that reaches the children a program started.
@Suite("Child processes")
struct ChildProcessTests {
    @Test("An exit is awaited, and its code read")
    func exitCode() async throws {
        try await withTimeout {
            let process = try ChildProcess(["/bin/sh", "-c", "exit 3"])
            #expect(await process.waitForExit(limit: .seconds(20)))
            #expect(!process.isRunning)
            #expect(process.exitCode == 3)
        }
    }

    @Test("A wait runs out while the program runs; stop ends it and the children it started")
    func waitRunsOutThenStop() async throws {
        try await withTimeout {
            let pidFile = NSTemporaryDirectory() + "child-process-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: pidFile) }
            // The shell starts a child of its own, writes its PID down, and waits for it.
            let process = try ChildProcess(["/bin/sh", "-c", "sleep 60 & echo $! > \(pidFile); wait"])
            #expect(await !process.waitForExit(limit: .milliseconds(100)))
            #expect(process.isRunning)
            #expect(process.exitCode == nil)

            await process.stop()
            #expect(!process.isRunning)
            #expect(process.exitCode == nil, "ended by a signal, not an exit")
            let text = try String(contentsOfFile: pidFile, encoding: .utf8)
            let grandchild = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            // The sleep, in the shell's process group, got the signal too. Its death is not ours
            // to await (it is not our child), so it is looked for a while.
            var alive = Self.isAlive(grandchild)
            for _ in 0..<200 where alive {
                try await Task.sleep(for: .milliseconds(10))
                alive = Self.isAlive(grandchild)
            }
            #expect(!alive, "the program's own child outlived the stop")
        }
    }

    /// Whether `pid` runs: it exists and is not a zombie waiting for whoever adopted it.
    private static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(end, offsetBy: 2)] != "Z"
    }
}
