package import CourierCore
package import FoundationEssentials
import Glibc

/// Reads a file in chunks on the blocking-work pool, for `.file` request bodies.
package final class FileChunkReader: ChunkReader {
    private static let chunkSize = 64 << 10

    private let descriptor: FileDescriptor
    private var offset = 0

    package init(url: URL) async throws {
        let path = url.path(percentEncoded: false)
        // errno is read on the pool thread that failed: after the await this task may be on
        // another thread, whose errno says nothing about this call.
        let (fd, failure) = try await BlockingWorkPool.shared.run {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            return (fd, fd < 0 ? errno : 0)
        }
        guard fd >= 0 else {
            throw HTTPClientError(
                .requestBodyFailed, "Cannot open request body file \(path): \(String(cString: strerror(failure))).")
        }
        descriptor = FileDescriptor(fd)
    }

    package func next() async throws -> ByteBuffer? {
        let fd = descriptor.fd
        let offset = self.offset
        let chunk = try await BlockingWorkPool.shared.run { () throws -> [UInt8] in
            var failure: Int32 = 0
            let bytes = [UInt8](unsafeUninitializedCapacity: FileChunkReader.chunkSize) { buffer, count in
                let n = pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
                if n < 0 { failure = errno }
                count = max(n, 0)
            }
            guard failure == 0 else {
                throw HTTPClientError(
                    .requestBodyFailed, "Reading the request body file failed: \(String(cString: strerror(failure))).")
            }
            return bytes
        }
        guard !chunk.isEmpty else { return nil }
        self.offset += chunk.count
        return ByteBuffer(chunk)
    }
}

/// Closes its descriptor when the last reference goes.
private final class FileDescriptor: Sendable {
    let fd: Int32

    init(_ fd: Int32) {
        self.fd = fd
    }

    deinit {
        close(fd)
    }
}
