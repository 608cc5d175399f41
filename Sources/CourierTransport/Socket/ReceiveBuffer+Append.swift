extension ReceiveBuffer {
    /// Appends bytes already in hand as successive socket reads would, a free region at a time:
    /// for decoders fed by something other than a socket (tests, fuzz targets), so they see the
    /// buffer's real lending and compaction.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            offset += write { free in
                let count = min(free.count, bytes.count - offset)
                free.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
                return count
            }
        }
    }

    package mutating func append(_ bytes: some Collection<UInt8>) {
        let appended: Void? = bytes.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0)) }
        if appended == nil { Array(bytes).withUnsafeBytes { append($0) } }
    }
}
