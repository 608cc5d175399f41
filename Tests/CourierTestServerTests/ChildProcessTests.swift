import CourierTestServer
import Foundation
import Glibc
import Testing

/// The programs tests start: an exit awaited and its code read (on a pidfd, and by polling), a
/// wait that runs out, a stop that reaches the children a program started, the orphans of a
/// dead test process stopped, start times read from /proc.
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

    @Test("Without a pidfd, an exit is found by polling, and a wait runs out while the program runs")
    func polling() async throws {
        try await withTimeout {
            let quick = try ChildProcess(["/bin/sh", "-c", "exit 5"])
            #expect(await quick.waitForExit(limit: .seconds(20), watch: .polling))
            #expect(quick.exitCode == 5)

            let slow = try ChildProcess(["/bin/sleep", "60"])
            let start = ContinuousClock.now
            #expect(await !slow.waitForExit(limit: .milliseconds(100), watch: .polling))
            #expect(ContinuousClock.now - start >= .milliseconds(100), "it waited its limit out")
            #expect(slow.isRunning)
            slow.signal(SIGKILL)
            #expect(await slow.waitForExit(limit: .seconds(20), watch: .polling))
            #expect(slow.exitCode == nil, "ended by a signal")
            await slow.stop()
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

    @Test("A program whose test process died is stopped by the next one; others' programs are not")
    func orphansStopped() async throws {
        try await withTimeout {
            let directory = NSTemporaryDirectory() + "child-registry-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            // An owner that is gone: a program that ran, written down before it was reaped.
            let gone = try ChildProcess(["/bin/true"])
            #expect(await gone.waitForExit(limit: .seconds(20)))
            let goneStart = try #require(ChildProcessRegistry.startTime(of: gone.pid))
            await gone.stop()
            #expect(ChildProcessRegistry.startTime(of: gone.pid) != goneStart, "reaped")

            let orphan = try ChildProcess(["/bin/sleep", "60"])
            let orphanStart = try #require(ChildProcessRegistry.startTime(of: orphan.pid))
            let orphanEntry = try #require(
                ChildProcessRegistry.record(
                    orphan.pid, started: orphanStart, owner: gone.pid, ownerStarted: goneStart, in: directory))
            // Written down by a live owner (this process), and one whose PID now names another
            // process: neither may be signalled.
            let owned = try ChildProcess(["/bin/sleep", "60"])
            let ownedEntry = try #require(ChildProcessRegistry.record(owned.pid, in: directory))
            let reused = try ChildProcess(["/bin/sleep", "60"])
            let reusedStart = try #require(ChildProcessRegistry.startTime(of: reused.pid))
            let reusedEntry = try #require(
                ChildProcessRegistry.record(
                    reused.pid, started: reusedStart + 1, owner: gone.pid, ownerStarted: goneStart, in: directory))

            ChildProcessRegistry.stopOrphans(in: directory)

            #expect(await orphan.waitForExit(limit: .seconds(20)), "the orphan still runs")
            #expect(owned.isRunning)
            #expect(reused.isRunning)
            let left = try FileManager.default.contentsOfDirectory(atPath: directory).map { directory + "/" + $0 }
            #expect(Set(left) == [ownedEntry])
            #expect(!left.contains(orphanEntry) && !left.contains(reusedEntry))
            await owned.stop()
            await reused.stop()
        }
    }

    @Test("A start time is read from /proc, even behind a command name with spaces and parentheses")
    func startTime() async throws {
        try await withTimeout {
            let folder = NSTemporaryDirectory() + "child-name-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            // The kernel names the process after the file it runs: `a) (b`.
            let oddName = folder + "/a) (b"
            try FileManager.default.createSymbolicLink(atPath: oddName, withDestinationPath: "/bin/sleep")
            for arguments in [["/bin/sleep", "60"], [oddName, "60"]] {
                let process = try ChildProcess(arguments)
                let started = try #require(ChildProcessRegistry.startTime(of: process.pid))
                // Ticks after boot: the child started a moment ago, and after this process.
                let uptime = try #require(
                    Double(try String(contentsOfFile: "/proc/uptime", encoding: .utf8).split(separator: " ")[0]))
                let seconds = Double(started) / Double(sysconf(Int32(_SC_CLK_TCK)))
                #expect(
                    seconds <= uptime + 1 && seconds >= uptime - 60, "\(arguments[0]): \(seconds) s, up \(uptime) s")
                #expect(try #require(ChildProcessRegistry.startTime(of: getpid())) <= started)
                await process.stop()
            }
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
