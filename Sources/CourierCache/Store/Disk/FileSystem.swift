import Glibc

/// The disk store's system calls, and nothing else. Every one blocks, so they run only on the
/// blocking-work pool, never on the cooperative pool. Each failure throws with the operation,
/// the path and `errno` read on the thread that failed.
enum FileSystem {
    /// Creates `path` and its missing parents.
    static func makeDirectories(_ path: String) throws(DiskCacheStoreError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST { throw failure("mkdir", prefix) }
            prefix += "/"
        }
    }

    /// The names in a directory, without `.` and `..`.
    static func list(_ path: String) throws(DiskCacheStoreError) -> [String] {
        guard let directory = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A whole file's bytes, or nil if it does not exist.
    static func readFile(_ path: String) throws(DiskCacheStoreError) -> [UInt8]? {
        guard let fd = try openForReading(path) else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        while true {
            let chunk = try read(fd, path, at: bytes.count, maxLength: 64 << 10)
            guard !chunk.isEmpty else { return bytes }
            bytes += chunk
        }
    }

    /// Writes `bytes` as the whole of a new file; with `sync`, waits until the disk has them.
    static func writeFile(_ path: String, _ bytes: [UInt8], sync: Bool = false) throws(DiskCacheStoreError) {
        let fd = try createForWriting(path)
        defer { close(fd) }
        try write(fd, path, bytes, at: 0)
        if sync, fsync(fd) != 0 { throw failure("fsync", path) }
    }

    /// A descriptor for reading, or nil if the file does not exist.
    static func openForReading(_ path: String) throws(DiskCacheStoreError) -> Int32? {
        let fd = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC) }
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw failure("open", path)
        }
        return fd
    }

    /// A descriptor on a new, empty file for writing (an existing one is truncated).
    static func createForWriting(_ path: String) throws(DiskCacheStoreError) -> Int32 {
        let fd = retryingInterrupts { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw failure("open", path) }
        return fd
    }

    /// A descriptor for appending to a file, created if it does not exist.
    static func openForAppending(_ path: String) throws(DiskCacheStoreError) -> Int32 {
        let fd = retryingInterrupts { open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { throw failure("open", path) }
        return fd
    }

    /// Up to `maxLength` bytes from `offset`; fewer only at the end of the file.
    static func read(_ fd: Int32, _ path: String, at offset: Int, maxLength: Int) throws(DiskCacheStoreError) -> [UInt8]
    {
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: maxLength) { buffer, count in
            count = 0
            while count < maxLength {
                let n = pread(fd, buffer.baseAddress! + count, maxLength - count, off_t(offset + count))
                if n < 0, errno == EINTR { continue }
                if n < 0 { failed = true }
                guard n > 0 else { return }
                count += n
            }
        }
        if failed { throw failure("pread", path) }
        return bytes
    }

    /// Writes all of `bytes` at `offset`.
    static func write(_ fd: Int32, _ path: String, _ bytes: [UInt8], at offset: Int) throws(DiskCacheStoreError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress! + written, buffer.count - written, off_t(offset + written))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw failure("pwrite", path) }
            written += n
        }
    }

    /// Appends all of `bytes` to a file opened for appending.
    static func append(_ fd: Int32, _ path: String, _ bytes: [UInt8]) throws(DiskCacheStoreError) {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw failure("write", path) }
            written += n
        }
    }

    /// The size of an open file.
    static func size(_ fd: Int32, _ path: String) throws(DiskCacheStoreError) -> Int {
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure("fstat", path) }
        return Int(status.st_size)
    }

    /// The size of a file, or nil if it does not exist.
    static func size(_ path: String) throws(DiskCacheStoreError) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT { return nil }
            throw failure("stat", path)
        }
        return Int(status.st_size)
    }

    static func truncate(_ fd: Int32, _ path: String, to length: Int) throws(DiskCacheStoreError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw failure("ftruncate", path) }
    }

    static func sync(_ fd: Int32, _ path: String) throws(DiskCacheStoreError) {
        guard fsync(fd) == 0 else { throw failure("fsync", path) }
    }

    /// Makes a rename in `path` durable (the directory entry itself is data too).
    static func syncDirectory(_ path: String) throws(DiskCacheStoreError) {
        let fd = retryingInterrupts { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw failure("open", path) }
        defer { close(fd) }
        try sync(fd, path)
    }

    /// Atomically replaces `target` with `source`.
    static func rename(_ source: String, to target: String) throws(DiskCacheStoreError) {
        guard Glibc.rename(source, target) == 0 else { throw failure("rename", source) }
    }

    /// Deletes a file; one that is already gone is not an error.
    static func remove(_ path: String) throws(DiskCacheStoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    private static func retryingInterrupts(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    private static func failure(_ operation: String, _ path: String) -> DiskCacheStoreError {
        .system(operation: operation, path: path, errno: errno)
    }
}

/// Text for an `errno`.
enum SystemError {
    static func message(_ number: Int32) -> String {
        String(cString: strerror(number))
    }
}
