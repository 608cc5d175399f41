/// Reads the fuzzer's bytes as a few control bytes followed by a payload.
///
/// Control bytes come first so that libFuzzer's mutations of them (which mode, which limits,
/// how to split) stay independent of the payload. Reading past the end yields zeros rather than
/// failing, so every input, however short, is a valid test.
struct FuzzInput {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Two bytes, big-endian.
    mutating func uint16() -> Int {
        Int(byte()) << 8 | Int(byte())
    }

    /// Up to `count` bytes, fewer at the end of the input.
    mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let end = min(bytes.count, offset + max(count, 0))
        defer { offset = max(offset, end) }
        return UnsafeRawBufferPointer(rebasing: bytes[min(offset, bytes.count)..<end])
    }

    /// Every byte not read yet.
    mutating func rest() -> UnsafeRawBufferPointer {
        take(bytes.count - offset)
    }
}
