import Testing

@testable import CourierHTTP2

/// The stream table's lookups, including the one it remembers: a stream removed or replaced
/// must never be reached through it.
@Suite("HTTP/2 stream table")
struct HTTP2StreamTableTests {
    private func stream(_ id: UInt32, window: Int) -> HTTP2StreamState {
        HTTP2StreamState(id: id, sendWindow: window, receiveWindow: window, isHeadRequest: false)
    }

    @Test func changesLandOnTheStreamLookedUp() {
        var table = HTTP2StreamTable()
        table.insert(stream(1, window: 10), for: 1)
        table.insert(stream(3, window: 20), for: 3)
        table[stream: 1].sendWindow -= 4
        table[stream: 3].sendWindow -= 5
        table[stream: 1].sendWindow -= 1
        #expect(table[stream: 1].sendWindow == 5)
        #expect(table[stream: 3].sendWindow == 15)
        #expect(table.keys.sorted() == [1, 3])
    }

    @Test func aRemovedStreamIsGoneEvenRightAfterItsLookup() {
        var table = HTTP2StreamTable()
        table.insert(stream(5, window: 10), for: 5)
        #expect(table.contains(5))
        let removed = table.removeValue(forKey: 5)
        #expect(removed?.sendWindow == 10)
        #expect(!table.contains(5))
        #expect(table.removeValue(forKey: 5) == nil)
    }

    @Test func aStreamInsertedAgainIsTheNewOne() {
        var table = HTTP2StreamTable()
        table.insert(stream(7, window: 10), for: 7)
        #expect(table[stream: 7].sendWindow == 10)
        table.insert(stream(7, window: 99), for: 7)
        #expect(table[stream: 7].sendWindow == 99)
        table.removeValue(forKey: 7)
        table.insert(stream(7, window: 42), for: 7)
        #expect(table[stream: 7].sendWindow == 42)
    }

    @Test func absentStreamsAreNotFound() {
        var table = HTTP2StreamTable()
        #expect(!table.contains(0))
        #expect(!table.contains(1))
        table.insert(stream(1, window: 10), for: 1)
        #expect(!table.contains(3))
        #expect(table.contains { $0.sendWindow == 10 })
        #expect(!table.contains { $0.sendWindow == 11 })
    }
}
