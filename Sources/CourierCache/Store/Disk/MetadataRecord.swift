/// The contents of an entry's metadata file: the caller's metadata, and which body file goes
/// with it and how long that body is.
///
/// ```
/// "CRCMETA1"            8 bytes, the format
/// body generation       8 bytes, little endian
/// body size             8 bytes, little endian
/// metadata size         4 bytes, little endian
/// CRC-32                4 bytes, little endian, of the 28 bytes above and the metadata
/// metadata              metadata size bytes
/// ```
///
/// The file is written once, at commit, and is valid only if it is exactly as long as it says
/// and its checksum holds: a file torn by a crash fails the check. That is what lets the store
/// rebuild its index from the directory alone when the journal is lost.
struct MetadataRecord: Equatable, Sendable {
    static let headerSize = 32
    private static let magic = Array("CRCMETA1".utf8)

    var bodyGeneration: UInt64
    var bodySize: Int
    var metadata: [UInt8]

    func encoded() -> [UInt8] {
        var bytes = MetadataRecord.magic
        bytes.reserveCapacity(MetadataRecord.headerSize + metadata.count)
        bytes.appendLittleEndian(bodyGeneration)
        bytes.appendLittleEndian(UInt64(bodySize))
        bytes.appendLittleEndian(UInt32(metadata.count))
        let checksum = CRC32.checksum(metadata, continuing: CRC32.checksum(bytes))
        bytes.appendLittleEndian(checksum)
        bytes += metadata
        return bytes
    }

    /// The record, or nil when `bytes` are not a whole, intact metadata file.
    init?(decoding bytes: [UInt8]) {
        guard bytes.count >= MetadataRecord.headerSize, bytes.starts(with: MetadataRecord.magic) else { return nil }
        let bodyGeneration = bytes.littleEndian(UInt64.self, at: 8)
        let bodySize = bytes.littleEndian(UInt64.self, at: 16)
        let metadataSize = bytes.littleEndian(UInt32.self, at: 24)
        let checksum = bytes.littleEndian(UInt32.self, at: 28)
        guard bytes.count == MetadataRecord.headerSize + Int(metadataSize), bodySize <= UInt64(Int.max),
            CRC32.checksum(bytes[32...], continuing: CRC32.checksum(bytes[..<28])) == checksum
        else { return nil }
        self.bodyGeneration = bodyGeneration
        self.bodySize = Int(bodySize)
        self.metadata = Array(bytes[32...])
    }

    init(bodyGeneration: UInt64, bodySize: Int, metadata: [UInt8]) {
        self.bodyGeneration = bodyGeneration
        self.bodySize = bodySize
        self.metadata = metadata
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        self[offset..<offset + MemoryLayout<T>.size].reversed().reduce(T.zero) { $0 << 8 | T($1) }
    }
}
