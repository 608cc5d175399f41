import CourierCore
import Testing

@testable import CourierTransport

/// How the buffer makes room for a read: the unread tail kept in order, storage nothing borrows
/// reused, lent chunks never written over.
@Suite("Receive buffer")
struct ReceiveBufferTests {
    /// Writes `count` bytes counting up from `first` (mod 256), offering them to one read.
    @discardableResult
    private func fill(_ buffer: inout ReceiveBuffer, count: Int, from first: Int) -> Int {
        buffer.write { space in
            let written = min(count, space.count)
            for index in 0..<written { space[index] = UInt8(truncatingIfNeeded: first + index) }
            return written
        }
    }

    private func readable(_ buffer: ReceiveBuffer) -> [UInt8] {
        buffer.withReadableBytes { Array($0) }
    }

    private func base(_ buffer: ReceiveBuffer) -> UnsafeRawPointer? {
        buffer.withReadableBytes { $0.baseAddress }
    }

    @Test("A lent chunk is never overwritten by later reads")
    func lentChunksStayIntact() {
        var buffer = ReceiveBuffer(initialReadSize: 8192)
        let first = [UInt8](repeating: 1, count: 5000)
        buffer.append(first)
        let lent = buffer.take(4000)
        for fill: UInt8 in 2...5 {
            let more = [UInt8](repeating: fill, count: 3000)
            buffer.append(more)
            buffer.skip(buffer.readableCount)
        }
        #expect(lent.allSatisfy { $0 == 1 })
        #expect(lent.count == 4000)
    }

    @Test("A small chunk lent is a view of the storage, which a reclaimed buffer reads into again")
    func smallChunksLentThenReclaimed() {
        var buffer = ReceiveBuffer(initialReadSize: 1024)
        fill(&buffer, count: 10, from: 0)
        let start = base(buffer)
        do {
            let lent = buffer.lend(4)
            #expect(lent.withUnsafeBytes { $0.baseAddress } == start)
            #expect(Array(lent) == [0, 1, 2, 3])
        }
        buffer.skip(buffer.readableCount)
        // The caller has copied what it keeps and let the view go.
        buffer.reclaimLent()
        fill(&buffer, count: 10, from: 50)
        #expect(base(buffer) == start)
        #expect(readable(buffer) == (50..<60).map { UInt8($0) })
    }

    @Test func theUnreadTailMovesToTheFrontOfTheSameStorage() {
        var buffer = ReceiveBuffer(initialReadSize: 1024)
        #expect(fill(&buffer, count: 1000, from: 0) == 1000)
        let start = base(buffer)
        buffer.skip(900)
        // 24 bytes free, under half a read: the 100 unread bytes move to the front.
        let written = fill(&buffer, count: 500, from: 1000)
        #expect(written == 500)
        #expect(base(buffer) == start)
        #expect(readable(buffer) == (900..<1500).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func storageWithNothingUnreadIsRewoundNotReplaced() {
        var buffer = ReceiveBuffer(initialReadSize: 1024)
        fill(&buffer, count: 1000, from: 0)
        let start = base(buffer)
        buffer.skip(1000)
        fill(&buffer, count: 10, from: 7)
        #expect(base(buffer) == start)
        #expect(readable(buffer) == (7..<17).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test func aLentChunkKeepsItsBytesWhileLaterReadsGetFreshStorage() {
        var buffer = ReceiveBuffer(initialReadSize: 8192)
        fill(&buffer, count: 8000, from: 0)
        let chunk = buffer.take(4000)
        let start = base(buffer)
        let written = fill(&buffer, count: 8000, from: 100)
        #expect(written > 0)
        #expect(base(buffer) != start)
        #expect(Array(chunk) == (0..<4000).map { UInt8(truncatingIfNeeded: $0) })
        let expected =
            (4000..<8000).map { UInt8(truncatingIfNeeded: $0) }
            + (100..<(100 + written)).map { UInt8(truncatingIfNeeded: $0) }
        #expect(readable(buffer) == expected)
    }

    @Test func aTailTooLargeToMoveGetsLargerStorage() {
        var buffer = ReceiveBuffer(initialReadSize: 1024)
        fill(&buffer, count: 1000, from: 0)
        buffer.skip(100)
        let start = base(buffer)
        // 900 unread in 1024 bytes leaves under half a read even at the front.
        let written = fill(&buffer, count: 600, from: 1000)
        #expect(written >= 512)
        #expect(base(buffer) != start)
        #expect(readable(buffer) == (100..<(1000 + written)).map { UInt8(truncatingIfNeeded: $0) })
    }
}
