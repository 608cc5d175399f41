import CourierCore
import Testing

@testable import CourierHTTP2

/// Every frame type encoded and decoded back, fed whole and split at every byte.
@Suite("HTTP/2 frames: round trips")
struct HTTP2FrameRoundTripTests {
    static let frames: [HTTP2Frame] = [
        HTTP2Frame(streamID: 1, payload: .data(ByteBuffer(string: "hello"), endStream: false)),
        HTTP2Frame(streamID: 3, payload: .data(ByteBuffer(), endStream: true)),
        HTTP2Frame(streamID: 5, payload: .data(ByteBuffer(string: "padded"), endStream: true, padding: 7)),
        HTTP2Frame(streamID: 7, payload: .data(ByteBuffer(), endStream: false, padding: 0)),
        HTTP2Frame(streamID: 1, payload: .headers(ByteBuffer([0x82, 0x86, 0x84]), endStream: true)),
        HTTP2Frame(
            streamID: 9,
            payload: .headers(
                ByteBuffer([0x88]), endStream: false,
                priority: HTTP2Priority(exclusive: true, dependency: 3, weight: 255), padding: 4)),
        HTTP2Frame(streamID: 11, payload: .priority(HTTP2Priority(exclusive: false, dependency: 0, weight: 15))),
        HTTP2Frame(streamID: 13, payload: .rstStream(.cancel)),
        HTTP2Frame(streamID: 13, payload: .rstStream(.unknown(0xDEAD))),
        HTTP2Frame(
            streamID: 0,
            payload: .settings([
                .headerTableSize(0), .enablePush(false), .maxConcurrentStreams(100),
                .initialWindowSize(HTTP2Setting.maxWindowSize), .maxFrameSize(16_777_215), .maxHeaderListSize(8192),
            ])),
        HTTP2Frame(streamID: 0, payload: .settingsAck),
        HTTP2Frame(streamID: 0, payload: .ping(0x0102_0304_0506_0708, ack: false)),
        HTTP2Frame(streamID: 0, payload: .ping(.max, ack: true)),
        HTTP2Frame(streamID: 0, payload: .goAway(lastStreamID: 0x7FFF_FFFF, .enhanceYourCalm, debugData: ByteBuffer())),
        HTTP2Frame(streamID: 0, payload: .goAway(lastStreamID: 5, .noError, debugData: ByteBuffer(string: "bye"))),
        HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: 0x7FFF_FFFF)),
        HTTP2Frame(streamID: 15, payload: .windowUpdate(increment: 1)),
    ]

    static let pushPromise = HTTP2Frame(
        streamID: 1, payload: .pushPromise(promisedStreamID: 2, ByteBuffer([0x82, 0x87]), padding: 2))

    @Test("Each frame decodes to itself, whole and split at every byte", arguments: frames)
    func roundTrip(_ frame: HTTP2Frame) {
        check([frame], decoder: .client, preface: serverPreface)
    }

    @Test("PUSH_PROMISE round-trips to a client that enabled push")
    func pushPromiseRoundTrip() {
        check([Self.pushPromise], decoder: HTTP2FrameDecoder(role: .client(pushEnabled: true)), preface: serverPreface)
    }

    @Test("All frames in one stream, read by a server after the client preface, split at every byte")
    func allFrames() {
        check(Self.frames, decoder: HTTP2FrameDecoder(role: .server), preface: clientPreface)
    }

    @Test("A header block over the frame size goes out as HEADERS and CONTINUATION frames and comes back whole")
    func continuation() {
        let block = ByteBuffer((0..<40_000).map { UInt8(truncatingIfNeeded: $0) })
        let headers = HTTP2Frame(streamID: 3, payload: .headers(block, endStream: true, padding: 10))
        let push = HTTP2Frame(streamID: 3, payload: .pushPromise(promisedStreamID: 4, block))
        let wire = encoded([headers])
        // 16384 - 11 octets, then 16384, then the rest: three frames.
        #expect(wire.count == 40_000 + 11 + 3 * 9)
        #expect(wire[3] == HTTP2FrameType.headers.rawValue && wire[4] == 0x09)  // END_STREAM | PADDED
        #expect(wire[9 + 16_384 + 3] == HTTP2FrameType.continuation.rawValue && wire[9 + 16_384 + 4] == 0)
        #expect(wire[2 * (9 + 16_384) + 3] == HTTP2FrameType.continuation.rawValue && wire[2 * (9 + 16_384) + 4] == 0x4)
        let run = FrameRun(
            serverPreface + wire + encoded([push]), decoder: HTTP2FrameDecoder(role: .client(pushEnabled: true)))
        #expect(run.connectionError == nil)
        #expect(run.frames == [HTTP2Frame(streamID: 0, payload: .settings([])), headers, push])
    }

    @Test("A larger SETTINGS_MAX_FRAME_SIZE admits larger frames")
    func largerFrames() {
        let frame = HTTP2Frame(streamID: 1, payload: .data(ByteBuffer(repeating: 7, count: 20_000), endStream: false))
        var decoder = HTTP2FrameDecoder.client
        decoder.maxFrameSize = 20_000
        let run = FrameRun(serverPreface + encoded([frame], maxFrameSize: 20_000), decoder: decoder)
        #expect(run.frames.last == frame)
    }

    private func check(_ frames: [HTTP2Frame], decoder: HTTP2FrameDecoder, preface: [UInt8]) {
        let wire = preface + encoded(frames)
        let expected = [HTTP2Frame(streamID: 0, payload: .settings([]))] + frames
        let whole = FrameRun(wire, decoder: decoder)
        #expect(whole.connectionError == nil)
        #expect(whole.frames == expected)
        #expect(whole.unconsumed == 0)
        #expect(encoded(Array(whole.frames.dropFirst())) == Array(wire[preface.count...]))
        for cut in 1..<wire.count {
            let split = FrameRun(wire, pieces: [cut, wire.count - cut], decoder: decoder)
            #expect(split == whole, "split at \(cut)")
        }
        let bytewise = FrameRun(wire, pieces: Array(repeating: 1, count: wire.count), decoder: decoder)
        #expect(bytewise == whole, "byte by byte")
    }
}

extension ByteBuffer {
    init(repeating byte: UInt8, count: Int) {
        self.init([UInt8](repeating: byte, count: count))
    }
}
