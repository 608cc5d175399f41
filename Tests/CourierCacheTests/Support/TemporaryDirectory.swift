import FoundationEssentials
import Glibc

/// A fresh directory under /tmp for one test, removed with everything in it afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let path = "/tmp/courier-cache-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    defer { _ = system("rm -rf '\(path)'") }
    return try await body(URL(filePath: path))
}

/// The files of a store's directory, by name.
func directoryListing(_ directory: URL) -> Set<String> {
    guard let handle = opendir(directory.path(percentEncoded: false)) else { return [] }
    defer { closedir(handle) }
    var names: Set<String> = []
    while let entry = readdir(handle) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.insert(name) }
    }
    return names
}

func readFile(_ url: URL) -> [UInt8] {
    guard let file = fopen(url.path(percentEncoded: false), "r") else { return [] }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        guard count > 0 else { return bytes }
        bytes += buffer[..<count]
    }
}

func writeFile(_ url: URL, _ bytes: [UInt8]) {
    guard let file = fopen(url.path(percentEncoded: false), "w") else { return }
    defer { fclose(file) }
    _ = fwrite(bytes, 1, bytes.count, file)
}

func unlinkFile(_ url: URL) {
    unlink(url.path(percentEncoded: false))
}
