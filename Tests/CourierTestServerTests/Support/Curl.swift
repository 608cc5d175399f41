import CourierTestServer
import Foundation

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
    // Output goes to files, not pipes: draining a pipe blocks a thread, and blocking the
    // cooperative pool's few threads would starve the server's handlers under test.
    let outputs = try (temporaryFile(""), temporaryFile(""))
    defer {
        for path in [outputs.0, outputs.1] { try? FileManager.default.removeItem(atPath: path) }
    }
    let process = try ChildProcess([executable] + arguments, standardOutput: outputs.0, standardError: outputs.1)
    guard await process.waitForExit(limit: limit) else {
        await process.stop()
        throw CurlTimedOut(arguments: arguments)
    }
    return CurlResult(
        exitCode: process.exitCode ?? -1,
        stdout: (try? String(contentsOfFile: outputs.0, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: outputs.1, encoding: .utf8)) ?? "")
}

/// A file under /tmp holding `text`, removed by the caller.
func temporaryFile(_ text: String) throws -> String {
    let path = "/tmp/courier-test-server-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
