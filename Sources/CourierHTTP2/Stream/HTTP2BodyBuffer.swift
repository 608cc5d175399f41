import CourierCore

/// The body bytes of one stream that arrived and were not taken yet.
///
/// DATA payloads are copied in as they arrive, so that nothing keeps the connection's read
/// buffer and every read reuses it. Lent payloads used to pin it, and each read then took a fresh
/// 256 KiB buffer: above glibc's mmap threshold, so each was mapped, faulted in and unmapped,
/// which cost most of a download's CPU. The copies go into segments of at most
/// ``segmentSize``, under that threshold, and the consumer takes a segment whole: one copy per
/// byte, as joining lent payloads into larger chunks made before.
///
/// Full-size segments come from, and go back to, the connection's ``HTTP2SegmentRecycler``.
struct HTTP2BodyBuffer {
    /// Large enough that a fast download costs few trips through the consumer's read, small
    /// enough for the allocator to recycle heap memory rather than map pages.
    static let segmentSize = 96 << 10

    /// The oldest segment, the next taken. Apart from the others, so that a body of one segment,
    /// as most responses are, costs no array of segments.
    private var first: [UInt8]?
    /// The segments after `first`, the last being the one filled.
    private var more: [[UInt8]] = []
    /// Bytes held.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The length of the segment being filled (the newest), nil when none is held.
    private var fillingCount: Int? { more.isEmpty ? first?.count : more[more.count - 1].count }

    /// Copies `bytes` in. `expected` is how many more body bytes the stream will carry, when
    /// known: a segment is sized for what will fill it, so a small body costs a small allocation.
    mutating func append(_ bytes: ByteBuffer, expected: Int?, recycler: inout HTTP2SegmentRecycler) {
        var offset = 0
        while offset < bytes.count {
            if (fillingCount ?? HTTP2BodyBuffer.segmentSize) >= HTTP2BodyBuffer.segmentSize {
                let wanted = expected ?? (bytes.count >= 4096 ? HTTP2BodyBuffer.segmentSize : 0)
                let capacity = min(HTTP2BodyBuffer.segmentSize, max(wanted, bytes.count - offset))
                let segment = recycler.emptySegment(capacity: capacity)
                if first == nil { first = segment } else { more.append(segment) }
            }
            let copied = min(HTTP2BodyBuffer.segmentSize - fillingCount!, bytes.count - offset)
            bytes.withUnsafeBytes { raw in
                let chunk = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + copied)])
                if more.isEmpty {
                    first!.append(contentsOf: chunk)
                } else {
                    more[more.count - 1].append(contentsOf: chunk)
                }
            }
            offset += copied
        }
        count += bytes.count
    }

    /// The oldest segment, full or not, or nil when nothing is held; `recycler` keeps it to be
    /// written again once the consumer drops it.
    mutating func take(recycler: inout HTTP2SegmentRecycler) -> ByteBuffer? {
        guard let segment = takeSegment() else { return nil }
        recycler.handOut(segment)
        return ByteBuffer(segment)
    }

    /// The oldest segment, for a body that left its ended stream: nothing writes segments for
    /// it any more.
    mutating func take() -> ByteBuffer? {
        takeSegment().map(ByteBuffer.init)
    }

    /// Everything held, when it fits in one segment (an empty body too); nil, leaving the
    /// segments in place, when it does not.
    mutating func takeWhole() -> ByteBuffer? {
        guard more.isEmpty else { return nil }
        return take() ?? ByteBuffer()
    }

    private mutating func takeSegment() -> [UInt8]? {
        guard let segment = first else { return nil }
        first = more.isEmpty ? nil : more.removeFirst()
        count -= segment.count
        return segment
    }
}
