import CourierCore
import Testing

@testable import CourierHTTP2

/// A stream's body buffer and the connection's segment recycler: segments come out whole and in
/// order, a segment the consumer dropped is written again in place, and one it still holds is
/// never written under it.
@Suite("HTTP/2 body buffer")
struct HTTP2BodyBufferTests {
    private static let size = HTTP2BodyBuffer.segmentSize

    /// `count` bytes counting up from `start`, wrapping at 256.
    private func bytes(_ count: Int, from start: Int = 0) -> ByteBuffer {
        ByteBuffer((0..<count).map { UInt8(truncatingIfNeeded: start + $0) })
    }

    private func address(_ chunk: ByteBuffer) -> UnsafeRawPointer? {
        chunk.withUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func segmentsComeOutWholeAndInOrder() {
        var recycler = HTTP2SegmentRecycler()
        var buffer = HTTP2BodyBuffer()
        let payload = bytes(2 * Self.size + 100)
        buffer.append(payload.slice(from: 0, count: 5000), expected: nil, recycler: &recycler)
        buffer.append(payload.slice(from: 5000, count: payload.count - 5000), expected: nil, recycler: &recycler)
        #expect(buffer.count == payload.count)
        var taken: [UInt8] = []
        var sizes: [Int] = []
        while let chunk = buffer.take(recycler: &recycler) {
            sizes.append(chunk.count)
            taken += Array(chunk)
        }
        #expect(sizes == [Self.size, Self.size, 100])
        #expect(taken == Array(payload))
        #expect(buffer.isEmpty)
    }

    /// Appends one full segment and takes it: the consumer's chunk.
    private func cycle(
        _ buffer: inout HTTP2BodyBuffer, _ recycler: inout HTTP2SegmentRecycler, from start: Int = 0
    ) -> ByteBuffer {
        buffer.append(bytes(Self.size, from: start), expected: nil, recycler: &recycler)
        return buffer.take(recycler: &recycler)!
    }

    @Test func aSegmentTheConsumerDroppedIsWrittenAgainInPlace() {
        var recycler = HTTP2SegmentRecycler()
        var buffer = HTTP2BodyBuffer()
        let first = address(cycle(&buffer, &recycler))
        // The consumer may still be reading the segment it took last: that one is left alone.
        let second = address(cycle(&buffer, &recycler))
        #expect(second != first)
        let third = cycle(&buffer, &recycler, from: 7)
        #expect(address(third) == first)
        #expect(Array(third) == Array(bytes(Self.size, from: 7)))
        #expect(address(cycle(&buffer, &recycler)) == second)
    }

    @Test func aSegmentTheConsumerHoldsIsNeverOverwritten() {
        var recycler = HTTP2SegmentRecycler()
        var buffer = HTTP2BodyBuffer()
        var held: [ByteBuffer] = []
        for index in 0..<4 { held.append(cycle(&buffer, &recycler, from: index)) }
        #expect(Set(held.map(address)).count == held.count)
        for (index, chunk) in held.enumerated() {
            #expect(Array(chunk) == Array(bytes(Self.size, from: index)))
        }
    }

    @Test func aSmallBodyTakesASmallSegmentOfItsOwn() {
        var recycler = HTTP2SegmentRecycler()
        var buffer = HTTP2BodyBuffer()
        let dropped = address(cycle(&buffer, &recycler))
        _ = cycle(&buffer, &recycler)

        buffer.append(ByteBuffer([1, 2, 3]), expected: 3, recycler: &recycler)
        let small = buffer.take(recycler: &recycler)!
        #expect(Array(small) == [1, 2, 3])
        #expect(small.storage.capacity < 64, "sized for the body, not for a segment")
        #expect(buffer.take(recycler: &recycler) == nil && buffer.isEmpty)
        // The full-size segments are still there for the next large body.
        #expect(address(cycle(&buffer, &recycler)) == dropped)
    }

    @Test func theRecyclerKeepsABoundedNumberOfSegments() {
        var recycler = HTTP2SegmentRecycler()
        var buffer = HTTP2BodyBuffer()
        let count = HTTP2SegmentRecycler.limit + 3
        buffer.append(bytes(count * Self.size), expected: nil, recycler: &recycler)
        var held: [ByteBuffer] = []
        while let chunk = buffer.take(recycler: &recycler) { held.append(chunk) }
        #expect(held.count == count)
        // Only the last `limit` handed out are kept: the oldest three are the consumer's alone.
        let kept = held.suffix(HTTP2SegmentRecycler.limit).map(address)
        held.removeAll()
        var reused: [UnsafeRawPointer?] = []
        for _ in 0..<HTTP2SegmentRecycler.limit { reused.append(address(cycle(&buffer, &recycler))) }
        #expect(reused == Array(kept))
    }

    @Test func theLastStreamToLeaveEmptiesTheRecycler() {
        var state = HTTP2ConnectionState(configuration: HTTP2Configuration(), peer: "example.com:443")
        var effects = HTTP2Effects()
        state.segmentRecycler.handOut(Array(repeating: 1, count: Self.size))
        state.streams.insert(
            HTTP2StreamState(id: 1, sendWindow: 10, receiveWindow: 10, isHeadRequest: false), for: 1)
        #expect(!state.segmentRecycler.isEmpty)
        state.release(1, &effects)
        #expect(state.segmentRecycler.isEmpty)
    }
}
