import Glibc

/// Process-wide figures. Only meaningful in a serialized suite run in its own process
/// (`make test` runs the `ProcessWide` suites in a separate `swift test` invocation).
enum ProcessProbe {
    /// The numbers of this process's open descriptors, without the one used to list them.
    static func descriptorNumbers() -> [Int32] {
        guard let directory = opendir("/proc/self/fd") else { return [] }
        defer { closedir(directory) }
        let own = dirfd(directory)
        var numbers: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let fd = Int32(name), fd != own { numbers.append(fd) }
        }
        return numbers
    }

    /// Open file descriptors of this process.
    static func openDescriptorCount() -> Int {
        descriptorNumbers().count
    }

    /// Open descriptors and what each one is (`socket:[inode]`, `anon_inode:[eventfd]`, a path).
    static func openDescriptors() -> [Int32: String] {
        var result: [Int32: String] = [:]
        for fd in descriptorNumbers() {
            var target = [CChar](repeating: 0, count: 256)
            let length = readlink("/proc/self/fd/\(fd)", &target, target.count - 1)
            result[fd] =
                length > 0 ? String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
        }
        return result
    }

    /// Resident set size now and its peak since the last `resetPeakResident()`, in bytes.
    static func residentSet() -> (current: Int, peak: Int) {
        guard let file = fopen("/proc/self/status", "r") else { return (-1, -1) }
        defer { fclose(file) }
        var current = -1
        var peak = -1
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let kilobytes =
                Int(text.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
            if text.hasPrefix("VmRSS:") { current = kilobytes * 1024 }
            if text.hasPrefix("VmHWM:") { peak = kilobytes * 1024 }
        }
        return (current, peak)
    }

    /// Resets the kernel's peak-RSS mark (VmHWM) to the current RSS.
    static func resetPeakResident() {
        guard let file = fopen("/proc/self/clear_refs", "w") else { return }
        fputs("5", file)
        fclose(file)
    }
}
