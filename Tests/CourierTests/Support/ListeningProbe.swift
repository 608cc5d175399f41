import Glibc

/// Whether a process we started is the one listening on a port: a port probed free and handed to
/// a server process can be taken by any other socket in between (a test server binding port 0
/// in a parallel test), and the server then fails to bind while a connect to the port succeeds.
///
/// Shared by CourierHTTP2Tests and CourierTests (Tests/CourierHTTP2Tests/ListeningProbe.swift
/// is a symbolic link to this file).
enum ListeningProbe {
    /// True when `pid` holds a socket listening on 127.0.0.1:`port` (/proc/net/tcp and
    /// /proc/`pid`/fd).
    static func listens(pid: pid_t, port: Int) -> Bool {
        guard let inode = listeningInode(port: port) else { return false }
        let wanted = "socket:[\(inode)]"
        guard let directory = opendir("/proc/\(pid)/fd") else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            var target = [CChar](repeating: 0, count: 128)
            let length = readlink("/proc/\(pid)/fd/\(name)", &target, target.count - 1)
            guard length > 0 else { continue }
            let link = String(decoding: target.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link == wanted { return true }
        }
        return false
    }

    /// The inode of the socket in state LISTEN on 127.0.0.1:`port`, if there is one.
    private static func listeningInode(port: Int) -> String? {
        guard let file = fopen("/proc/net/tcp", "r") else { return nil }
        defer { fclose(file) }
        let hexPort = String(port, radix: 16, uppercase: true)
        let local = "0100007F:" + String(repeating: "0", count: max(0, 4 - hexPort.count)) + hexPort
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(separator: " ", omittingEmptySubsequences: true)
            // sl, local_address, rem_address, st, tx:rx, tr:when, retrnsmt, uid, timeout, inode
            guard fields.count > 9, fields[1] == local, fields[3] == "0A" else { continue }
            return String(fields[9])
        }
        return nil
    }
}
