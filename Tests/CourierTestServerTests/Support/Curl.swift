import CourierTestServer
import Foundation
import Synchronization

/// What one curl run left behind.
struct CurlResult: Sendable {
    let exitCode: Int32
    let stdout: String
    let stderr: String
}

struct CurlTimedOut: Error, CustomStringConvertible {
    let arguments: [String]
    var description: String { "\(arguments.joined(separator: " ")) did not finish in time" }
}

/// Runs `curl` with `arguments` and returns its exit code and output; the process is killed
/// and the call throws after `limit`, so a server that never answers fails the test instead of
/// hanging it.
func curl(_ arguments: [String], limit: Duration = .seconds(30)) async throws -> CurlResult {
    try await runProcess("/usr/bin/curl", ["--silent", "--show-error", "--max-time", "25"] + arguments, limit: limit)
}

/// Runs nghttp (Debian's nghttp2-client), which puts every URI on one connection and shows
/// each frame with `-v`; bounded like ``curl(_:limit:)``. nghttp does not verify certificates.
func nghttp(_ arguments: [String], limit: Duration = .seconds(30)) async throws -> CurlResult {
    try await runProcess("/usr/bin/nghttp", ["--timeout=25"] + arguments, limit: limit)
}

/// Runs `executable` with `arguments`; killed, and the call throws, after `limit`.
func runProcess(_ executable: String, _ arguments: [String], limit: Duration) async throws -> CurlResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    // Output goes to files, not pipes: draining a pipe blocks a thread, and blocking the
    // cooperative pool's few threads would starve the server's handlers under test.
    let outputs = try (temporaryFile(""), temporaryFile(""))
    let handles = (FileHandle(forWritingAtPath: outputs.0), FileHandle(forWritingAtPath: outputs.1))
    defer {
        // Closed here, not whenever Foundation lets go of them: a descriptor test may be counting.
        for handle in [handles.0, handles.1] { try? handle?.close() }
        for path in [outputs.0, outputs.1] { try? FileManager.default.removeItem(atPath: path) }
    }
    process.standardOutput = handles.0
    process.standardError = handles.1
    let exited = ProcessExit()
    process.terminationHandler = { _ in exited.signal() }
    try ProcessLaunch.serialized { try process.run() }
    guard await exited.wait(limit: limit) else {
        process.terminate()
        _ = await exited.wait(limit: .seconds(5))
        throw CurlTimedOut(arguments: arguments)
    }
    return CurlResult(
        exitCode: process.terminationStatus,
        stdout: (try? String(contentsOfFile: outputs.0, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: outputs.1, encoding: .utf8)) ?? "")
}

/// A process's exit as something to wait for with a limit.
private final class ProcessExit: Sendable {
    private struct State {
        var exited = false
        var timedOut = false
        var waiter: CheckedContinuation<Bool, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state in
            state.exited = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: true)
    }

    /// True when the process exited within `limit`.
    func wait(limit: Duration) async -> Bool {
        state.withLock { $0.timedOut = false }
        let timer = Task {
            try await Task.sleep(for: limit)
            let waiter = state.withLock { state in
                state.timedOut = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: false)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let outcome = state.withLock { state -> Bool? in
                if state.exited { return true }
                if state.timedOut { return false }
                state.waiter = continuation
                return nil
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }
}

/// A file under /tmp holding `text`, removed by the caller.
func temporaryFile(_ text: String) throws -> String {
    let path = "/tmp/courier-test-server-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
