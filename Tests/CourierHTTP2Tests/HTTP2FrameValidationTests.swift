import CourierCore
import Testing

@testable import CourierHTTP2

/// Every framing rule of RFC 9113 §4–§6 the decoder checks, each with its error code and whether
/// it is a connection or a stream error.
@Suite("HTTP/2 frames: validation")
struct HTTP2FrameValidationTests {
    private let data: UInt8 = 0x0
    private let headers: UInt8 = 0x1
    private let priority: UInt8 = 0x2
    private let rstStream: UInt8 = 0x3
    private let settings: UInt8 = 0x4
    private let pushPromise: UInt8 = 0x5
    private let ping: UInt8 = 0x6
    private let goAway: UInt8 = 0x7
    private let windowUpdate: UInt8 = 0x8
    private let continuation: UInt8 = 0x9

    @Test("A frame longer than SETTINGS_MAX_FRAME_SIZE is a connection FRAME_SIZE_ERROR, seen from its header")
    func frameTooLarge() {
        let header = Array(rawFrame(data, stream: 1, [UInt8](repeating: 0, count: 16_385)).prefix(9))
        let error = connectionError(header)
        #expect(error == .frameTooLarge(type: data, length: 16_385, limit: 16_384))
        #expect(error?.code == .frameSizeError && error?.scope == .connection)
        // Exactly the limit is fine, as is an unknown type (checked all the same).
        #expect(connectionError(rawFrame(data, stream: 1, [UInt8](repeating: 0, count: 16_384))) == nil)
        #expect(
            connectionError(Array(rawFrame(0xFA, stream: 0, [UInt8](repeating: 0, count: 16_385)).prefix(9))) != nil)
    }

    @Test(
        "Fixed-length frames of another length are FRAME_SIZE_ERRORs",
        arguments: [
            (HTTP2FrameType.ping, UInt8(0), UInt32(0), 7), (.ping, 0, 0, 9), (.windowUpdate, 0, 0, 3),
            (.windowUpdate, 0, 1, 5), (.rstStream, 0, 1, 3), (.rstStream, 0, 1, 8), (.settings, 0, 0, 5),
            (.settings, 0, 0, 13), (.settings, 1, 0, 6), (.goAway, 0, 0, 7),
            (.data, 0x8, 1, 0), (.headers, 0x20, 1, 4), (.headers, 0x28, 1, 5), (.pushPromise, 0, 1, 3),
        ])
    func fixedLengths(type: HTTP2FrameType, flags: UInt8, stream: UInt32, length: Int) {
        let decoder = HTTP2FrameDecoder(role: .client(pushEnabled: true))
        let error = connectionError(
            rawFrame(type.rawValue, flags: flags, stream: stream, [UInt8](repeating: 0, count: length)),
            decoder: decoder)
        #expect(error == .invalidLength(type, length: length, streamID: stream))
        #expect(error?.code == .frameSizeError && error?.scope == .connection)
    }

    @Test("A PRIORITY frame of another length than 5 is a stream FRAME_SIZE_ERROR, and decoding goes on")
    func priorityLength() {
        let errors = streamErrors(
            rawFrame(priority, stream: 3, [0, 0, 0, 1]) + rawFrame(priority, stream: 5, [0, 0, 0, 1, 0, 0]))
        #expect(
            errors == [
                .invalidLength(.priority, length: 4, streamID: 3), .invalidLength(.priority, length: 6, streamID: 5),
            ])
        #expect(errors.map(\.code) == [.frameSizeError, .frameSizeError])
        #expect(errors.map(\.scope) == [.stream(3), .stream(5)])
        let run = FrameRun(
            serverPreface + rawFrame(priority, stream: 3, [0])
                + rawFrame(ping, stream: 0, [UInt8](repeating: 0, count: 8)), decoder: .client)
        #expect(run.connectionError == nil && run.frames.last == HTTP2Frame(streamID: 0, payload: .ping(0, ack: false)))
    }

    @Test(
        "Stream frames on stream 0 are connection PROTOCOL_ERRORs",
        arguments: [HTTP2FrameType.data, .headers, .priority, .rstStream, .pushPromise, .continuation])
    func streamFramesOnZero(type: HTTP2FrameType) {
        let decoder = HTTP2FrameDecoder(role: .client(pushEnabled: true))
        let error = connectionError(
            rawFrame(type.rawValue, stream: 0, [UInt8](repeating: 0, count: 5)), decoder: decoder)
        #expect(error == .streamIDRequired(type))
        #expect(error?.code == .protocolError && error?.scope == .connection)
    }

    @Test(
        "Connection frames on a stream are connection PROTOCOL_ERRORs",
        arguments: [HTTP2FrameType.settings, .ping, .goAway])
    func connectionFramesOnStream(type: HTTP2FrameType) {
        let error = connectionError(rawFrame(type.rawValue, stream: 1, [UInt8](repeating: 0, count: 8)))
        #expect(error == .streamIDForbidden(type, streamID: 1))
        #expect(error?.code == .protocolError && error?.scope == .connection)
    }

    @Test("Padding as long as what follows the Pad Length is a connection PROTOCOL_ERROR")
    func padding() {
        // DATA: 5 octets after the Pad Length; padding of 5 is allowed, 6 is not.
        #expect(connectionError(rawFrame(data, flags: 0x8, stream: 1, [5, 0, 0, 0, 0, 0])) == nil)
        let error = connectionError(rawFrame(data, flags: 0x8, stream: 1, [6, 0, 0, 0, 0, 0]))
        #expect(error == .paddingTooLong(.data, padLength: 6, available: 5))
        #expect(error?.code == .protocolError && error?.scope == .connection)
        // HEADERS with priority: the 5 priority octets are not room for padding.
        #expect(
            connectionError(rawFrame(headers, flags: 0x2C, stream: 1, [2, 0, 0, 0, 0, 16, 0x82]))
                == .paddingTooLong(.headers, padLength: 2, available: 1))
        let pushing = HTTP2FrameDecoder(role: .client(pushEnabled: true))
        #expect(
            connectionError(rawFrame(pushPromise, flags: 0xC, stream: 1, [1, 0, 0, 0, 2]), decoder: pushing)
                == .paddingTooLong(.pushPromise, padLength: 1, available: 0))
    }

    @Test("A WINDOW_UPDATE of 0 is a stream PROTOCOL_ERROR on a stream and a connection one on stream 0")
    func zeroWindowUpdate() {
        let errors = streamErrors(rawFrame(windowUpdate, stream: 5, [0, 0, 0, 0]))
        #expect(errors == [.zeroWindowIncrement(streamID: 5)])
        #expect(errors.first?.code == .protocolError && errors.first?.scope == .stream(5))
        let error = connectionError(rawFrame(windowUpdate, stream: 0, [0x80, 0, 0, 0]))  // reserved bit only
        #expect(error == .zeroWindowIncrement(streamID: 0))
        #expect(error?.code == .protocolError && error?.scope == .connection)
    }

    @Test(
        "Invalid SETTINGS values are connection errors with their codes",
        arguments: [
            (HTTP2Setting.Identifier.enablePush, UInt32(2), HTTP2ErrorCode.protocolError),
            (.enablePush, 1, .protocolError),  // a server never enables push on a client
            (.initialWindowSize, 0x8000_0000, .flowControlError), (.initialWindowSize, .max, .flowControlError),
            (.maxFrameSize, 16_383, .protocolError), (.maxFrameSize, 16_777_216, .protocolError),
            (.enableConnectProtocol, 2, .protocolError),  // RFC 8441 §3: only 0 or 1
        ])
    func invalidSettings(identifier: HTTP2Setting.Identifier, value: UInt32, code: HTTP2ErrorCode) {
        let payload = [UInt8(0), UInt8(identifier.rawValue)] + bigEndian(value)
        let error = connectionError(rawFrame(settings, stream: 0, payload))
        #expect(error == .invalidSetting(identifier, value: value))
        #expect(error?.code == code && error?.scope == .connection)
    }

    @Test("A server accepts ENABLE_PUSH 0 and 1; the extreme valid values pass; unknown settings are dropped")
    func validSettings() {
        let payload: [UInt8] =
            [0, 2, 0, 0, 0, 1] + [0, 4, 0x7F, 0xFF, 0xFF, 0xFF] + [0, 5, 0, 0, 0x40, 0] + [0, 5, 0, 0xFF, 0xFF, 0xFF]
            + [0xAB, 0xCD, 0xFF, 0xFF, 0xFF, 0xFF] + [0, 0, 0, 0, 0, 9] + [0, 2, 0, 0, 0, 0]
            + [0, 8, 0, 0, 0, 1]
        let run = FrameRun(
            clientPreface + rawFrame(settings, stream: 0, payload), decoder: HTTP2FrameDecoder(role: .server))
        #expect(run.connectionError == nil)
        #expect(
            run.frames.last?.payload
                == .settings([
                    .enablePush(true), .initialWindowSize(0x7FFF_FFFF), .maxFrameSize(16_384),
                    .maxFrameSize(16_777_215),
                    .enablePush(false), .enableConnectProtocol(true),
                ]))
    }

    @Test("The reserved bit of the stream identifier and of 31-bit fields is ignored")
    func reservedBit() {
        let pushing = HTTP2FrameDecoder(role: .client(pushEnabled: true))
        let bytes =
            rawFrame(windowUpdate, stream: 0x8000_0003, [0x80, 0, 0, 9])
            + rawFrame(goAway, stream: 0x8000_0000, [0x80, 0, 0, 7, 0, 0, 0, 0])
            + rawFrame(pushPromise, flags: 0x4, stream: 0x8000_0001, [0x80, 0, 0, 2])
        let run = FrameRun(serverPreface + bytes, decoder: pushing)
        #expect(run.connectionError == nil)
        #expect(
            Array(run.frames.dropFirst()) == [
                HTTP2Frame(streamID: 3, payload: .windowUpdate(increment: 9)),
                HTTP2Frame(streamID: 0, payload: .goAway(lastStreamID: 7, .noError, debugData: ByteBuffer())),
                HTTP2Frame(streamID: 1, payload: .pushPromise(promisedStreamID: 2, ByteBuffer())),
            ])
    }

    @Test("Flags a type does not define are ignored")
    func undefinedFlags() {
        let run = FrameRun(
            serverPreface + rawFrame(ping, flags: 0xFE, stream: 0, [UInt8](repeating: 1, count: 8)), decoder: .client)
        #expect(run.frames.last == HTTP2Frame(streamID: 0, payload: .ping(0x0101_0101_0101_0101, ack: false)))
    }

    @Test("A stream that depends on itself: a stream error on PRIORITY, a connection error on HEADERS")
    func selfDependency() {
        let errors = streamErrors(rawFrame(priority, stream: 3, [0x80, 0, 0, 3, 16]))
        #expect(errors == [.selfDependency(.priority, streamID: 3)])
        #expect(errors.first?.code == .protocolError && errors.first?.scope == .stream(3))
        let error = connectionError(rawFrame(headers, flags: 0x24, stream: 5, [0, 0, 0, 5, 16, 0x82]))
        #expect(error == .selfDependency(.headers, streamID: 5))
        #expect(error?.code == .protocolError && error?.scope == .connection)
    }

    @Test("PUSH_PROMISE is a connection PROTOCOL_ERROR for a server and for a client that disabled push")
    func pushPromiseRole() {
        let frame = rawFrame(pushPromise, flags: 0x4, stream: 1, [0, 0, 0, 2, 0x82])
        for decoder in [HTTP2FrameDecoder.client, HTTP2FrameDecoder(role: .server)] {
            let preface = decoder.role == .server ? clientPreface : serverPreface
            let error = FrameRun(preface + frame, decoder: decoder).connectionError
            #expect(error == .unexpectedPushPromise(streamID: 1))
            #expect(error?.code == .protocolError && error?.scope == .connection)
        }
    }

    @Test("After HEADERS without END_HEADERS only CONTINUATION on that stream may follow")
    func continuationSequencing() {
        let open = rawFrame(headers, stream: 1, [0x82])
        let cases: [([UInt8], HTTP2FrameError)] = [
            (
                rawFrame(ping, stream: 0, [UInt8](repeating: 0, count: 8)),
                .expectedContinuation(streamID: 1, type: ping, onStream: 0)
            ),
            (
                rawFrame(continuation, flags: 0x4, stream: 3, [0x84]),
                .expectedContinuation(streamID: 1, type: continuation, onStream: 3)
            ),
            (rawFrame(data, stream: 1, [1]), .expectedContinuation(streamID: 1, type: data, onStream: 1)),
            (rawFrame(0xFA, stream: 1, []), .expectedContinuation(streamID: 1, type: 0xFA, onStream: 1)),
        ]
        for (next, expected) in cases {
            let error = connectionError(open + next)
            #expect(error == expected)
            #expect(error?.code == .protocolError && error?.scope == .connection)
        }
        let stray = connectionError(rawFrame(continuation, flags: 0x4, stream: 1, [0x82]))
        #expect(stray == .unexpectedContinuation(streamID: 1))
        #expect(stray?.code == .protocolError && stray?.scope == .connection)
        // A completed block closes the sequence: a later CONTINUATION is stray again.
        let complete = open + rawFrame(continuation, flags: 0x4, stream: 1, [0x84])
        #expect(
            connectionError(complete + rawFrame(continuation, stream: 1, [])) == .unexpectedContinuation(streamID: 1))
        let run = FrameRun(serverPreface + complete, decoder: .client)
        #expect(
            run.frames.last == HTTP2Frame(streamID: 1, payload: .headers(ByteBuffer([0x82, 0x84]), endStream: false)))
    }

    @Test("A CONTINUATION flood stops at the header block limit, of data or of empty frames, before it is buffered")
    func continuationFlood() {
        let decoder = HTTP2FrameDecoder(role: .client(pushEnabled: false), maxHeaderBlockSize: 1024)
        var flood = rawFrame(headers, stream: 1, [UInt8](repeating: 0x82, count: 100))
        for _ in 0..<10 { flood += rawFrame(continuation, stream: 1, [UInt8](repeating: 0x82, count: 100)) }
        let error = connectionError(flood, decoder: decoder)
        #expect(error == .headerBlockTooLarge(limit: 1024))
        #expect(error?.code == .enhanceYourCalm && error?.scope == .connection)
        // 100 + 8 * 109 = 972 octets fit; the ninth CONTINUATION's header alone is refused.
        let run = FrameRun(serverPreface + flood, decoder: decoder)
        #expect(run.unconsumed == flood.count - 9 * 109)

        var empty = rawFrame(headers, stream: 1, [])
        for _ in 0..<200 { empty += rawFrame(continuation, stream: 1, []) }
        #expect(connectionError(empty, decoder: decoder) == .headerBlockTooLarge(limit: 1024))

        // The default limit is the HPACK header list limit, 256 KiB.
        #expect(HTTP2FrameDecoder.client.maxHeaderBlockSize == 256 * 1024)
        var large = rawFrame(headers, stream: 1, [])
        for _ in 0..<17 { large += rawFrame(continuation, stream: 1, [UInt8](repeating: 0x82, count: 16_384)) }
        #expect(connectionError(large) == .headerBlockTooLarge(limit: 256 * 1024))
    }

    @Test("Frames of unknown types are skipped, whatever their stream or flags")
    func unknownTypes() {
        let bytes =
            rawFrame(0x0A, stream: 0, [1, 2, 3]) + rawFrame(0xFF, flags: 0xFF, stream: 7, [])
            + rawFrame(0x10, stream: 0x8000_0001, [UInt8](repeating: 9, count: 300))
            + rawFrame(ping, stream: 0, [UInt8](repeating: 0, count: 8))
        let run = FrameRun(serverPreface + bytes, decoder: .client)
        #expect(run.connectionError == nil && run.unconsumed == 0)
        #expect(
            run.frames == [
                HTTP2Frame(streamID: 0, payload: .settings([])), HTTP2Frame(streamID: 0, payload: .ping(0, ack: false)),
            ])
        for cut in 1..<bytes.count {
            #expect(
                FrameRun(
                    serverPreface + bytes, pieces: [serverPreface.count + cut, bytes.count - cut], decoder: .client)
                    == run)
        }
    }

    @Test("A server reads the client preface, in any pieces, and refuses anything else")
    func preface() {
        let server = HTTP2FrameDecoder(role: .server)
        let whole = FrameRun(clientPreface, decoder: server)
        #expect(whole.connectionError == nil && whole.frames == [HTTP2Frame(streamID: 0, payload: .settings([]))])
        #expect(
            FrameRun(clientPreface, pieces: Array(repeating: 1, count: clientPreface.count), decoder: server) == whole)
        for index in HTTP2ConnectionPreface.bytes.indices {
            var bad = clientPreface
            bad[index] ^= 0x20
            // Refused as soon as the wrong octet arrives, even with the rest still missing.
            let error = FrameRun(Array(bad[...index]), decoder: server).connectionError
            #expect(error == .invalidPreface, "octet \(index)")
            #expect(error?.code == .protocolError && error?.scope == .connection)
        }
        // An HTTP/1.1 request is refused at its first octet.
        #expect(FrameRun(Array("GET / HTTP/1.1\r\n".utf8), decoder: server).connectionError == .invalidPreface)
        // A client expects no preface: it takes the server's SETTINGS first.
        #expect(FrameRun(clientPreface, decoder: .client).connectionError != nil)
    }

    @Test("The first frame must be SETTINGS without ACK")
    func firstFrameSettings() {
        let pingFirst = FrameRun(rawFrame(ping, stream: 0, [UInt8](repeating: 0, count: 8)), decoder: .client)
        #expect(pingFirst.connectionError == .firstFrameNotSettings(type: ping))
        #expect(pingFirst.connectionError?.code == .protocolError)
        let ackFirst = FrameRun(
            HTTP2ConnectionPreface.bytes + rawFrame(settings, flags: 1, stream: 0),
            decoder: HTTP2FrameDecoder(role: .server))
        #expect(ackFirst.connectionError == .firstFrameNotSettings(type: settings))
        #expect(
            FrameRun(rawFrame(0xFA, stream: 0), decoder: .client).connectionError == .firstFrameNotSettings(type: 0xFA))
    }
}
