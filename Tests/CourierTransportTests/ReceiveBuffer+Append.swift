@testable import CourierTransport

extension ReceiveBuffer {
    /// Appends bytes as successive socket reads would, a free region at a time.
    mutating func append(_ bytes: some Collection<UInt8>) {
        var remaining = Array(bytes)[...]
        while !remaining.isEmpty {
            _ = write { space in
                let count = min(space.count, remaining.count)
                remaining.prefix(count).withUnsafeBytes { space.copyMemory(from: $0) }
                remaining = remaining.dropFirst(count)
                return count
            }
        }
    }
}
