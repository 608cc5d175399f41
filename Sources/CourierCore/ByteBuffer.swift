/// An immutable run of bytes that shares its storage instead of copying it.
///
/// Response body chunks are `ByteBuffer`s cut straight out of the buffer the socket was read
/// into, so streaming a large body costs one copy (kernel to user) and no per-chunk copying.
/// Indices always run from `0` to `count`, unlike `ArraySlice`.
///
/// ```swift
/// for try await chunk in response.body {
///     file.write(chunk)            // any Collection<UInt8> API works
/// }
/// let bytes = [UInt8](chunk)       // a copy, if you need an array
/// ```
public struct ByteBuffer: Sendable, Hashable, RandomAccessCollection {
    @usableFromInline
    package var storage: [UInt8]
    @usableFromInline
    package var lowerBound: Int
    @usableFromInline
    package var upperBound: Int

    /// Wraps an array without copying it.
    @inlinable
    public init(_ bytes: [UInt8]) {
        self.storage = bytes
        self.lowerBound = 0
        self.upperBound = bytes.count
    }

    /// Copies the bytes of any sequence.
    public init(_ bytes: some Sequence<UInt8>) {
        self.init(Array(bytes))
    }

    /// The UTF-8 bytes of a string.
    public init(string: String) {
        self.init(Array(string.utf8))
    }

    /// An empty buffer.
    public init() {
        self.init([UInt8]())
    }

    /// A view of `bytes[range]` that shares the array's storage.
    @inlinable
    package init(storage: [UInt8], range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= storage.count, "range out of bounds")
        self.storage = storage
        self.lowerBound = range.lowerBound
        self.upperBound = range.upperBound
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { upperBound - lowerBound }
    @inlinable public var count: Int { upperBound - lowerBound }
    @inlinable public var isEmpty: Bool { upperBound == lowerBound }

    @inlinable
    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < count, "index out of range")
        return storage[lowerBound &+ position]
    }

    /// A buffer of `count` bytes starting at `offset`, sharing storage.
    @inlinable
    public func slice(from offset: Int, count: Int) -> ByteBuffer {
        precondition(offset >= 0 && count >= 0 && offset + count <= self.count, "slice out of range")
        return ByteBuffer(storage: storage, range: (lowerBound + offset)..<(lowerBound + offset + count))
    }

    /// The bytes as an array: free when the buffer spans its whole storage, a copy otherwise.
    public var array: [UInt8] {
        if lowerBound == 0 && upperBound == storage.count { return storage }
        return Array(storage[lowerBound..<upperBound])
    }

    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = storage.withUnsafeBytes { all in
            let view = UnsafeRawBufferPointer(rebasing: all[lowerBound..<upperBound])
            do throws(E) { return .success(try body(view)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try storage.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[lowerBound..<upperBound]))
        }
    }

    public static func == (lhs: ByteBuffer, rhs: ByteBuffer) -> Bool {
        lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension ByteBuffer: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: UInt8...) {
        self.init(elements)
    }
}

extension ByteBuffer: CustomStringConvertible {
    public var description: String { "ByteBuffer(\(count) bytes)" }
}

extension String {
    /// Decodes the buffer as UTF-8, replacing invalid sequences.
    public init(decoding buffer: ByteBuffer) {
        self = buffer.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }
}
