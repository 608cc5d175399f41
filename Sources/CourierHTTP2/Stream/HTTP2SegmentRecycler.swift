/// Full-size body segments that a connection's streams handed to their consumers, written again
/// once the consumers have let go of them.
///
/// Freed instead, a segment went back to the reader's heap from the consumer's thread, glibc
/// trimmed that heap, and the next segment faulted its pages in afresh: a tenth of an HTTP/2
/// download's CPU went to page faults, taken under the connection's lock, which the consumer
/// then waited on. One recycler per connection, bounded, so that a thousand streams downloading
/// at once keep no more than one does.
struct HTTP2SegmentRecycler {
    /// How many must have been handed out before the oldest is written again: a consumer is
    /// likely still busy with the segment it took last, but done with the one before it.
    static let lag = 2
    /// Segments kept at most, for a consumer that takes several before the reader needs another.
    static let limit = 8

    /// Segments handed out, oldest first. Each shares its storage with a consumer's chunk until
    /// the consumer drops that chunk; `removeAll(keepingCapacity:)` then empties it in place,
    /// and allocates anew, as a fresh segment would, while the consumer still holds it.
    private var handedOut: [[UInt8]] = []

    var isEmpty: Bool { handedOut.isEmpty }

    /// An empty segment with room for `capacity` bytes: for a full-size one, the oldest handed out
    /// when enough have been handed out since.
    mutating func emptySegment(capacity: Int) -> [UInt8] {
        guard capacity == HTTP2BodyBuffer.segmentSize, handedOut.count >= HTTP2SegmentRecycler.lag else {
            var segment: [UInt8] = []
            segment.reserveCapacity(capacity)
            return segment
        }
        var segment = handedOut.removeFirst()
        segment.removeAll(keepingCapacity: true)
        return segment
    }

    /// Keeps `segment`, about to go to a consumer, for reuse when it is full-size.
    mutating func handOut(_ segment: [UInt8]) {
        guard segment.capacity >= HTTP2BodyBuffer.segmentSize else { return }
        if handedOut.count == HTTP2SegmentRecycler.limit { handedOut.removeFirst() }
        handedOut.append(segment)
    }

    /// Lets every kept segment go: an idle connection holds none.
    mutating func removeAll() {
        handedOut.removeAll()
    }
}
