import CourierCore
import Glibc

/// Byte-for-byte equality through `memcmp`.
///
/// The fuzz targets compare whole bodies several times per input. This module is built with
/// the fuzzer's comparison tracing like the code under test, so a Swift loop over the bytes
/// costs a traced call per byte; that made comparing, not decoding, most of a run's time.
func sameBytes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard let left = a.baseAddress, let right = b.baseAddress else { return true }
    return memcmp(left, right, a.count) == 0
}

func sameBytes(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
    a.withUnsafeBytes { sameBytes($0, b) }
}

func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { left in b.withUnsafeBytes { sameBytes(left, $0) } }
}

/// Whether the shorter of the two is where the longer begins.
func oneIsPrefix(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    let common = min(a.count, b.count)
    return a.withUnsafeBytes { left in
        b.withUnsafeBytes { right in
            sameBytes(
                UnsafeRawBufferPointer(rebasing: left[..<common]), UnsafeRawBufferPointer(rebasing: right[..<common]))
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends a body chunk with one copy rather than element by element.
    mutating func append(_ chunk: ByteBuffer) {
        chunk.withUnsafeBytes { append(contentsOf: $0) }
    }
}
