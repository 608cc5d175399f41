import CourierCore
import CourierTransport
import Synchronization
import Testing

@testable import CourierWebSocket

/// What the writer puts on the wire, against a stream that records it.
@Suite("WebSocket writer")
struct WebSocketWriterTests {
    /// Keeps every write; reads nothing.
    final class RecordingStream: ByteStream {
        let reactor: Reactor
        private let written = Mutex<[UInt8]>([])

        init(reactor: Reactor) { self.reactor = reactor }

        var bytes: [UInt8] { written.withLock { $0 } }

        func read(into buffer: inout ReceiveBuffer, deadline: ContinuousClock.Instant?) async throws -> Int { 0 }
        func write(_ first: ByteBuffer, _ second: ByteBuffer, deadline: ContinuousClock.Instant?) async throws {
            written.withLock { $0 += first.array + second.array }
        }
        var isTruncated: Bool { false }
        var isHealthy: Bool { true }
        func interrupt() {}
        func shutdownOutput() {}
        func close() {}
    }

    @Test("RFC 6455 §5.5.1: a message queued behind our close frame fails and never reaches the wire")
    func noDataFrameAfterClose() async throws {
        let reactor = try Reactor(name: "writer-test")
        let stream = RecordingStream(reactor: reactor)
        let writer = WebSocketWriter(stream: stream, deflate: nil, writeTimeout: nil) { _ in }
        try await writer.send(.message(.text("before")))
        writer.post(.close(WebSocketClosePayload(code: .normalClosure, reason: "")))
        let error = await #expect(throws: HTTPClientError.self) { try await writer.send(.message(.text("after"))) }
        #expect(error?.kind == .connectionClosed)
        await writer.finish()
        // Client frames are masked: the opcodes are in the first octet of each frame.
        let bytes = stream.bytes
        let textFrame = 2 + 4 + "before".utf8.count
        #expect(bytes.first == 0x81)
        #expect(bytes.count == textFrame + 2 + 4 + 2)
        #expect(bytes[textFrame] == 0x88)
    }
}
