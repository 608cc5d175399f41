import Glibc
import Synchronization

/// The programs test processes have started and not yet stopped, written down so that those a
/// test process leaves behind when it dies without stopping them (a crash, a SIGKILL after a
/// time limit) are stopped by the next test process instead of holding ports and whatever they
/// inherited until someone notices.
///
/// One empty file per child, named `<owner>-<owner start>-<child>-<child start>`: the PIDs of the
/// test process and of the child, each with its start time (clock ticks after boot, field 22 of
/// `/proc/<pid>/stat`), which tells a process from a later one given the same PID. So a sweep
/// never signals a process it did not start: an owner counts as gone only when no process with
/// its PID and start time runs, and a child is signalled only when it is the process written
/// down or, its leader gone, what remains of its process group (Linux gives no new process the
/// PID of a process group that still has members).
package enum ChildProcessRegistry {
    package static let defaultDirectory = "/tmp/courier-children"
    private static let swept = Mutex(false)

    /// Writes `child` down as started by this process; returns the entry's path, or nil when it
    /// could not be written (the child then runs unrecorded).
    package static func record(_ child: Int32, in directory: String = defaultDirectory) -> String? {
        guard let ownerStart = startTime(of: getpid()), let childStart = startTime(of: child) else { return nil }
        return record(child, started: childStart, owner: getpid(), ownerStarted: ownerStart, in: directory)
    }

    /// Writes down an entry as given: for a test that makes up an owner that is gone.
    package static func record(
        _ child: Int32, started childStart: UInt64, owner: Int32, ownerStarted ownerStart: UInt64, in directory: String
    ) -> String? {
        mkdir(directory, 0o755)
        let path = "\(directory)/\(owner)-\(ownerStart)-\(child)-\(childStart)"
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        close(fd)
        return path
    }

    /// Crosses an entry out once its child has been stopped.
    package static func remove(_ entry: String) {
        unlink(entry)
    }

    /// Stops the orphans in the default directory, once per test process (before its first child).
    static func stopOrphansOnce() {
        swept.withLock { swept in
            guard !swept else { return }
            swept = true
            stopOrphans(in: defaultDirectory)
        }
    }

    /// Sends SIGKILL to every child written down whose owner is gone, with its process group, and
    /// crosses it out.
    package static func stopOrphans(in directory: String) {
        guard let folder = opendir(directory) else { return }
        defer { closedir(folder) }
        while let item = readdir(folder) {
            let name = withUnsafeBytes(of: item.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            let fields = name.split(separator: "-").compactMap { UInt64($0) }
            guard fields.count == 4, let owner = pid_t(exactly: fields[0]), let child = pid_t(exactly: fields[2])
            else { continue }
            guard startTime(of: owner) != fields[1] else { continue }
            switch startTime(of: child) {
            case fields[3]?:
                kill(-child, SIGKILL)
                kill(child, SIGKILL)
            case nil:
                // The leader has gone; members of its group may remain (a daemon's workers).
                kill(-child, SIGKILL)
            case _?:
                // A later process has the PID: the child and its group are long gone.
                break
            }
            unlink("\(directory)/\(name)")
        }
    }

    /// When `pid` started, in clock ticks after boot; nil when no such process exists.
    package static func startTime(of pid: Int32) -> UInt64? {
        guard let file = fopen("/proc/\(pid)/stat", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 1024)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The command name, in parentheses, may itself hold spaces and parentheses: fields are
        // counted after its last ")", where field 3 (the state) begins.
        guard let end = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: end)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
