import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc

/// Starts a server program on a loopback port probed free, and returns once the program itself
/// listens there. A port probed free may be taken before the program binds it (by a test server
/// in a parallel test): the program then exits, or a connect would reach the other server. So the
/// port counts only once the program's own socket listens on it; otherwise a new port, a new
/// process, up to five times.
///
/// Shared by CourierHTTP2Tests and CourierTests: Tests/CourierHTTP2Tests/LoopbackServerProcess.swift
/// is a symbolic link to this file.
enum LoopbackServerProcess {
    /// The running process and its port. `executable` gets `arguments(port)`; `readyWithin`
    /// bounds each attempt's wait for it to listen.
    static func start(
        _ executable: String, readyWithin limit: Duration, arguments: (Int) -> [String]
    ) async throws -> (process: ChildProcess, port: Int) {
        for _ in 0..<5 {
            let reactor = try ReactorGroup.shared.nextReactor()
            let port = try await withTaskExecutorPreference(reactor) {
                let probe = try ListeningSocket(host: "127.0.0.1", port: 0, on: reactor)
                defer { probe.close() }
                return probe.address.port
            }
            let process = try ChildProcess([executable] + arguments(port))
            let deadline = ContinuousClock.now + limit
            while process.isRunning && ContinuousClock.now < deadline {
                if ListeningProbe.listens(pid: process.pid, port: port) { return (process, port) }
                try await Task.sleep(for: .milliseconds(50))
            }
            await process.stop()
        }
        throw HTTPClientError(.connectFailed, "\(executable) did not start listening (5 attempts)")
    }
}
