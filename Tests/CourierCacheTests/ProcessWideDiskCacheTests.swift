import CourierCache
import CourierCore
import FoundationEssentials
import Glibc
import Testing

/// Tests that look at the process's descriptors or start processes: `make test` runs suites
/// whose names contain `ProcessWide` in their own invocation, and these run one at a time. They
/// only count descriptors on the store's own files, so they cannot be misled by tests beside
/// them; other targets' descriptor counts can be by them, so the Makefile runs this target's
/// `ProcessWide` suites in an invocation of their own.
@Suite("ProcessWide disk cache", .serialized)
struct ProcessWideDiskCacheTests {
    @Test("Snapshots, edits and the journal leave no descriptor open once closed or dropped")
    func descriptorsClosed() async throws {
        try await withTemporaryDirectory { directory in
            try await withTimeout {
                do {
                    let store = try DiskCacheStore(directory: directory, maxSize: 1 << 20)
                    try await store.put("a", metadata: "a", body: bytes(200_000), chunk: 50_000)
                    let open = try #require(try await store.snapshot(for: "a"))
                    try await store.put("a", metadata: "b", body: bytes(100))  // replaces under the snapshot
                    #expect(try await open.readAll().count == 200_000)
                    await open.close()
                    for round in 0..<20 {
                        _ = try await store.read("a")
                        let aborted = try #require(try await store.edit("x\(round)"))
                        try await aborted.appendBody(bytes(70_000))
                        await aborted.abort()
                    }
                    let unfinished = try #require(try await store.edit("dropped"))
                    try await unfinished.appendBody(bytes(70_000))  // the editor's body file is open now
                    #expect(descriptors(under: directory).count == 2)  // the journal and that file
                }
                // A dropped editor closes its file from a task of its own: wait for it, bounded.
                let deadline = ContinuousClock.now + .seconds(5)
                while !descriptors(under: directory).isEmpty && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(descriptors(under: directory) == [])
            }
        }
    }

    /// The acceptance test for crash safety.
    @Test("A writer killed at random points 100 times never leaves a torn entry, and the store always reopens")
    func killedWriter() async throws {
        let executable = try tortureExecutable()
        try await withTemporaryDirectory { directory in
            try await withTimeout(.seconds(120)) {
                var served = 0
                var discarded = 0
                for run in 0..<100 {
                    let seed = UInt64.random(in: 0...UInt64.max)
                    // Half the runs also kill themselves in the middle of a body at a seeded step.
                    let dieAtStep = run.isMultiple(of: 2) ? Int.random(in: 0..<15) : nil
                    let (pid, ready) = try spawn(
                        executable,
                        [directory.path(percentEncoded: false), "\(seed)"] + (dieAtStep.map { ["\($0)"] } ?? []))
                    try await waitUntilWriting(ready)
                    let status = try await killAfter(.milliseconds(Int.random(in: 5...45)), pid)
                    // Killed (by us or by itself) or done; exit status 3 would mean it read a torn entry.
                    #expect(status.killed || status.exitCode == 0, "run \(run) (seed \(seed)): \(status)")

                    let store = try DiskCacheStore(directory: directory, maxSize: TortureEntry.maxSize)
                    discarded += try await store.openingReport().discardedFiles
                    var total = 0
                    for key in ["a0", "a1", "a2", "b0", "b1", "b2"] {
                        guard let snapshot = try await store.snapshot(for: key) else { continue }
                        let body = try await snapshot.readAll(chunk: 64 << 10)
                        await snapshot.close()
                        let entry = try #require(
                            TortureEntry(metadata: snapshot.metadata), "run \(run) (seed \(seed)) \(key)")
                        // Bound to a Bool first: a failure prints the run, not two bodies of bytes.
                        let whole = body == entry.body
                        try #require(whole, "run \(run) (seed \(seed)): \(key) is torn")
                        total += snapshot.metadata.count + body.count
                        served += 1
                    }
                    #expect(try await store.size() == total, "run \(run) (seed \(seed))")
                }
                // The runs did write and did die mid-write: whole entries were served, and
                // files that no commit published were found and deleted.
                #expect(served > 100)
                #expect(discarded > 0)
            }
        }
    }

    // MARK: Support

    /// What this process's open descriptors under `directory` point at: only the store's own,
    /// so tests running beside this one do not change the answer.
    private func descriptors(under directory: URL) -> [String] {
        let prefix = directory.path(percentEncoded: false) + "/"
        return directoryListing(URL(filePath: "/proc/self/fd")).compactMap { fd in
            var target = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
            let path = String(decoding: target.prefix(max(length, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return path.hasPrefix(prefix) ? path : nil
        }
    }

    /// The torture program, built beside this test binary by `swift build --build-tests`.
    private func tortureExecutable() throws -> String {
        var target = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &target, target.count - 1)
        let binary = String(decoding: target.prefix(max(length, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let path = String(binary[..<(binary.lastIndex(of: "/") ?? binary.startIndex)]) + "/CourierCacheTorture"
        try #require(access(path, X_OK) == 0, "\(path) is missing: build it with swift build --build-tests")
        return path
    }

    /// Starts the torture program with its standard output on a socket pair; returns our end,
    /// non-blocking, on which it says it has opened the store (see `waitUntilWriting`).
    /// Close-on-exec, so that no other child started meanwhile holds the write end open.
    private func spawn(_ executable: String, _ arguments: [String]) throws -> (pid_t, ReadySocket) {
        var ends: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &ends) == 0)
        let ready = ReadySocket(descriptor: ends[0])
        _ = fcntl(ends[0], F_SETFL, fcntl(ends[0], F_GETFL) | O_NONBLOCK)
        defer { close(ends[1]) }
        var pid: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        try #require(result == 0, "posix_spawn \(executable): \(result)")
        return (pid, ready)
    }

    /// Our end of the torture program's standard output, closed when dropped.
    private final class ReadySocket {
        let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    /// Waits, polled and bounded like `killAfter`, until the program has opened the store (its
    /// one octet) or ended without it (end of file), so the random delay before the kill is
    /// spent writing entries, however long the process took to start.
    private func waitUntilWriting(_ ready: ReadySocket) async throws {
        let giveUpAt = ContinuousClock.now + .seconds(10)
        var octet: UInt8 = 0
        while read(ready.descriptor, &octet, 1) < 0 && errno == EAGAIN {
            guard ContinuousClock.now < giveUpAt else { throw TestTimedOut(limit: .seconds(10)) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    private struct ExitStatus: CustomStringConvertible {
        var killed: Bool
        var exitCode: Int32?
        var description: String { killed ? "killed" : "exited with \(exitCode.map(String.init) ?? "?")" }
    }

    /// Waits `delay` (or until the child ends), kills it with SIGKILL, and reaps it: polled
    /// with `WNOHANG`, so nothing blocks, and bounded.
    private func killAfter(_ delay: Duration, _ pid: pid_t) async throws -> ExitStatus {
        let killAt = ContinuousClock.now + delay
        let giveUpAt = killAt + .seconds(10)
        var status: Int32 = 0
        var sentKill = false
        while waitpid(pid, &status, WNOHANG) == 0 {
            if !sentKill && ContinuousClock.now >= killAt {
                kill(pid, SIGKILL)
                sentKill = true
            }
            guard ContinuousClock.now < giveUpAt else { throw TestTimedOut(limit: delay + .seconds(10)) }
            try await Task.sleep(for: .milliseconds(2))
        }
        let signal = status & 0x7F
        return ExitStatus(killed: signal == SIGKILL, exitCode: signal == 0 ? (status >> 8) & 0xFF : nil)
    }
}
