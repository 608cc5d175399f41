import Glibc
import Synchronization

/// The programs test processes have started and not yet stopped, written down so that those a
/// test process leaves behind when it dies without stopping them (a crash, a SIGKILL after a
/// time limit) are stopped by the next test process instead of holding ports and whatever they
/// inherited until someone notices.
///
/// One empty file per child, named `<owner>-<owner start>-<child>-<child start>`: the PIDs of the
/// test process and of the child, each with its start time (clock ticks after boot, field 22 of
/// `/proc/<pid>/stat`), which tells a process from a later one given the same PID. A sweep
/// signals only what it can prove it started: an owner counts as gone only when no process
/// with its PID and start time runs, and a child, with its process group, only while it is the
/// very process written down (a group outliving its leader is left alone: its ID may since
/// name another group). The folder is this user's and this PID namespace's alone, made by this
/// user without write access for others, so nobody else's entries are ever read.
package enum ChildProcessRegistry {
    /// `/tmp/courier-children-<uid>-<PID namespace>`; nil when the PID namespace is unknown.
    package static let defaultDirectory: String? = {
        var link = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/self/ns/pid", &link, link.count - 1)
        guard length > 0 else { return nil }
        let namespace = String(decoding: link.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "/tmp/courier-children-\(getuid())-\(namespace.filter(\.isNumber))"
    }()
    private static let swept = Mutex(false)

    /// Writes `child` down as started by this process; returns the entry's path, or nil when it
    /// could not be written (the child then runs unrecorded).
    package static func record(_ child: Int32, in directory: String? = defaultDirectory) -> String? {
        guard let directory, let ownerStart = startTime(of: getpid()), let childStart = startTime(of: child)
        else { return nil }
        return record(child, started: childStart, owner: getpid(), ownerStarted: ownerStart, in: directory)
    }

    /// Writes down an entry as given: for a test that makes up an owner that is gone.
    package static func record(
        _ child: Int32, started childStart: UInt64, owner: Int32, ownerStarted ownerStart: UInt64, in directory: String
    ) -> String? {
        mkdir(directory, 0o700)
        guard isPrivate(directory) else { return nil }
        let path = "\(directory)/\(owner)-\(ownerStart)-\(child)-\(childStart)"
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
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
            if let defaultDirectory { stopOrphans(in: defaultDirectory) }
        }
    }

    /// Sends SIGKILL to every child written down whose owner is gone, with its process group, and
    /// crosses it out. A folder that is not this user's own is not read.
    package static func stopOrphans(in directory: String) {
        guard isPrivate(directory), let folder = opendir(directory) else { return }
        defer { closedir(folder) }
        while let item = readdir(folder) {
            let name = withUnsafeBytes(of: item.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            let fields = name.split(separator: "-", omittingEmptySubsequences: false).map { UInt64($0) }
            guard fields.count == 4, let ownerStart = fields[1], let childStart = fields[3],
                let owner = fields[0].flatMap({ pid_t(exactly: $0) }), owner > 0,
                let child = fields[2].flatMap({ pid_t(exactly: $0) }), child > 1
            else { continue }
            guard startTime(of: owner) != ownerStart else { continue }
            if startTime(of: child) == childStart {
                kill(-child, SIGKILL)
                kill(child, SIGKILL)
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

    /// Whether `directory` is a real folder of this user's that nobody else may write to.
    private static func isPrivate(_ directory: String) -> Bool {
        var status = stat()
        guard lstat(directory, &status) == 0 else { return false }
        return status.st_mode & S_IFMT == S_IFDIR && status.st_uid == getuid() && status.st_mode & 0o022 == 0
    }
}
