import CourierCore
import CourierTransport
import FoundationEssentials
import Testing

@testable import CourierHTTP2

/// A request's HEADERS fields, as the stream codec builds them.
private func requestFields(_ request: HTTPRequest) throws -> HTTPHeaders {
    try HTTP2Fields.request(request, upgrade: HTTP2Fields.upgradeProtocol(of: request))
}

/// Drives ``HTTP2ConnectionState`` frame by frame, without sockets: what it queues for the
/// server is decoded back into frames.
struct StateHarness {
    var state: HTTP2ConnectionState
    var effects = HTTP2Effects()
    private var serverDecoder = HTTP2FrameDecoder(role: .server)
    private var wire = ReceiveBuffer()
    private var serverHPACK = HPACKEncoder(role: .server)

    init(configuration: HTTP2Configuration = HTTP2Configuration(), serverSettings: [HTTP2Setting] = []) {
        state = HTTP2ConnectionState(configuration: configuration, peer: "example.test:443")
        state.start()
        receive(.settings(serverSettings))
        _ = sent()
    }

    /// The frames queued since the last call.
    mutating func sent() -> [HTTP2Frame] {
        var batch: [UInt8] = []
        state.takeOutbound(into: &batch, &effects)
        wire.append(batch)
        var frames: [HTTP2Frame] = []
        while let frame = try! serverDecoder.nextFrame(from: &wire) { frames.append(frame) }
        return frames
    }

    mutating func receive(_ payload: HTTP2Frame.Payload, on stream: UInt32 = 0, fields: HTTPHeaders? = nil) {
        state.receive(HTTP2Frame(streamID: stream, payload: payload), fields: fields, now: .now, &effects)
    }

    mutating func receiveHead(_ fields: [(String, String)], on stream: UInt32, endStream: Bool = false) {
        receive(.headers(ByteBuffer(), endStream: endStream), on: stream, fields: HTTPHeaders(fields))
    }

    mutating func open(_ method: HTTPMethod = .get, endStream: Bool = true) throws -> UInt32? {
        try state.openStream(
            HTTPHeaders([(":method", method.rawValue), (":scheme", "https"), (":authority", "a"), (":path", "/")]),
            endStream: endStream, isHeadRequest: method == .head, &effects)
    }
}

@Suite("HTTP/2 connection state")
struct HTTP2ConnectionStateTests {
    @Test func startQueuesPrefaceSettingsAndConnectionWindow() {
        var state = HTTP2ConnectionState(configuration: HTTP2Configuration(), peer: "p:1")
        state.start()
        var effects = HTTP2Effects()
        var batch: [UInt8] = []
        state.takeOutbound(into: &batch, &effects)
        #expect(Array(batch.prefix(24)) == HTTP2ConnectionPreface.bytes)
        var decoder = HTTP2FrameDecoder(role: .server)
        var buffer = ReceiveBuffer()
        buffer.append(batch)
        let frames = [try! decoder.nextFrame(from: &buffer)!, try! decoder.nextFrame(from: &buffer)!]
        #expect(
            frames[0].payload
                == .settings([.enablePush(false), .initialWindowSize(4 << 20), .maxHeaderListSize(256 << 10)]))
        #expect(frames[1].payload == .windowUpdate(increment: UInt32((16 << 20) - 65_535)))
        #expect(state.lifecycle == .awaitingSettings)
    }

    @Test func serverSettingsAreAcknowledgedAndOpenTheConnection() {
        var harness = StateHarness(serverSettings: [.maxConcurrentStreams(2)])
        #expect(harness.state.lifecycle == .open)
        #expect(harness.state.openableStreams == 2)
        harness.receive(.settings([.maxConcurrentStreams(7)]))
        #expect(harness.sent().map(\.payload) == [.settingsAck])
        #expect(harness.effects.events == [.capacityChanged])
    }

    @Test func streamIDsAreOddAndTheServerLimitHolds() throws {
        var harness = StateHarness(serverSettings: [.maxConcurrentStreams(2)])
        #expect(try harness.open() == 1)
        #expect(try harness.open() == 3)
        #expect(try harness.open() == nil)
        #expect(harness.state.openableStreams == 0)
        let frames = harness.sent()
        #expect(frames.map(\.streamID) == [1, 3])
        // Stream 1 ends: its slot is free again.
        harness.receiveHead([(":status", "204")], on: 1, endStream: true)
        #expect(harness.state.openableStreams == 1)
        #expect(try harness.open() == 5)
    }

    @Test func streamPhasesFollowRFC9113() {
        var stream = HTTP2StreamState(id: 1, sendWindow: 10, receiveWindow: 10, isHeadRequest: false)
        #expect(stream.phase == .idle)
        do { let applied = stream.apply(.sendHeaders(endStream: false)); #expect(applied) }
        #expect(stream.phase == .open)
        do { let applied = stream.apply(.sendHeaders(endStream: false)); #expect(!applied) }
        do { let applied = stream.apply(.receiveEndStream); #expect(applied) }
        #expect(stream.phase == .halfClosedRemote)
        #expect(stream.canSend && !stream.canReceive)
        do { let applied = stream.apply(.sendEndStream); #expect(applied) }
        #expect(stream.phase == .closed)
        do { let applied = stream.apply(.sendEndStream); #expect(!applied) }
        var other = HTTP2StreamState(id: 3, sendWindow: 10, receiveWindow: 10, isHeadRequest: false)
        _ = other.apply(.sendHeaders(endStream: true))
        #expect(other.phase == .halfClosedLocal)
        do { let applied = other.apply(.reset); #expect(applied) }
        #expect(other.phase == .closed && !other.isActive)
    }

    @Test func dataNeverExceedsTheWindowsOrTheFrameSize() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open(.post, endStream: false))
        _ = harness.sent()
        let body = ByteBuffer([UInt8](repeating: 7, count: 100_000))
        var offset = 0
        #expect(try !harness.state.send(body, offset: &offset, endStream: true, on: id, &harness.effects))
        #expect(offset == 65_535)
        let frames = harness.sent()
        #expect(frames.allSatisfy { if case .data(let d, _, _) = $0.payload { d.count <= 16_384 } else { false } })
        // The stream's window opens, the connection's does not: still stuck.
        harness.receive(.windowUpdate(increment: 50_000), on: id)
        #expect(try !harness.state.send(body, offset: &offset, endStream: true, on: id, &harness.effects))
        #expect(offset == 65_535)
        harness.receive(.windowUpdate(increment: 50_000))
        #expect(try harness.state.send(body, offset: &offset, endStream: true, on: id, &harness.effects))
        let last = harness.sent()
        guard case .data(_, let endStream, _) = last.last?.payload else { Issue.record("no DATA"); return }
        #expect(endStream)
        #expect(harness.state.stream(id)?.phase == .halfClosedLocal)
    }

    @Test func initialWindowSizeChangesAdjustOpenStreams() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open(.post, endStream: false))
        harness.receive(.settings([.initialWindowSize(1000)]))
        #expect(harness.state.stream(id)?.sendWindow == 1000)
        harness.receive(.settings([.initialWindowSize(100_000)]))
        #expect(harness.state.stream(id)?.sendWindow == 100_000)
    }

    /// RFC 9113 §6.9.2: only streams that may still send have a window the setting changes. One
    /// done sending, whose window the server had opened to the maximum, is left alone rather
    /// than overflowing into a connection error.
    @Test func initialWindowSizeChangesSkipStreamsDoneSending() throws {
        var harness = StateHarness()
        let done = try #require(try harness.open())
        let sending = try #require(try harness.open(.post, endStream: false))
        harness.receive(.windowUpdate(increment: HTTP2Setting.maxWindowSize - 65_535), on: done)
        _ = harness.sent()
        harness.receive(.settings([.initialWindowSize(65_536)]))
        #expect(harness.state.lifecycle == .open)
        #expect(harness.sent().map(\.payload) == [.settingsAck])
        #expect(harness.state.stream(done)?.sendWindow == Int(HTTP2Setting.maxWindowSize))
        #expect(harness.state.stream(sending)?.sendWindow == 65_536)
    }

    /// RFC 9113 §6.9.2: a lowered INITIAL_WINDOW_SIZE can leave a window negative; ending the
    /// request then needs no window (this once crashed on a negative slice count).
    @Test func endingTheRequestWithANegativeWindowSendsAnEmptyEndStream() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open(.post, endStream: false))
        var offset = 0
        let part = ByteBuffer([UInt8](repeating: 7, count: 1000))
        #expect(try harness.state.send(part, offset: &offset, endStream: false, on: id, &harness.effects))
        harness.receive(.settings([.initialWindowSize(0)]))
        #expect(harness.state.stream(id)?.sendWindow == -1000)
        _ = harness.sent()
        var none = 0
        #expect(try harness.state.send(ByteBuffer(), offset: &none, endStream: true, on: id, &harness.effects))
        #expect(harness.sent().map(\.payload).last == .data(ByteBuffer(), endStream: true, padding: nil))
        #expect(harness.state.stream(id)?.phase == .halfClosedLocal)
    }

    @Test func connectionWindowOverflowIsAConnectionError() {
        var harness = StateHarness()
        harness.receive(.windowUpdate(increment: HTTP2Setting.maxWindowSize))
        #expect(harness.state.lifecycle == .closed)
        guard case .goAway(_, let code, _) = harness.sent().last?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .flowControlError)
    }

    @Test func streamWindowOverflowResetsOnlyTheStream() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open(.post, endStream: false))
        _ = harness.sent()
        harness.receive(.windowUpdate(increment: HTTP2Setting.maxWindowSize), on: id)
        #expect(harness.sent().map(\.payload) == [.rstStream(.flowControlError)])
        #expect(harness.state.lifecycle == .open)
        #expect(harness.state.stream(id)?.readFailure != nil)
    }

    @Test func dataBeyondTheStreamWindowIsAFlowControlError() throws {
        var configuration = HTTP2Configuration()
        configuration.streamWindowSize = 100
        var harness = StateHarness(configuration: configuration)
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200")], on: id)
        _ = harness.sent()
        harness.receive(.data(ByteBuffer([UInt8](repeating: 1, count: 101)), endStream: false), on: id)
        #expect(harness.sent().map(\.payload) == [.rstStream(.flowControlError)])
    }

    @Test func windowUpdatesFollowConsumptionNotArrival() throws {
        var configuration = HTTP2Configuration()
        configuration.streamWindowSize = 1000
        var harness = StateHarness(configuration: configuration)
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200")], on: id)
        let payload = ByteBuffer([UInt8](repeating: 1, count: 300))
        harness.receive(.data(payload, endStream: false), on: id)
        _ = harness.sent()
        guard case .data(let first)? = try harness.state.takeBody(on: id, &harness.effects) else {
            Issue.record("no data")
            return
        }
        #expect(first.count == 300)
        // 300 of 1000 consumed: not yet half the window.
        #expect(harness.sent().isEmpty)
        harness.receive(.data(payload, endStream: false), on: id)
        harness.receive(.data(payload, endStream: false), on: id)
        #expect(harness.sent().isEmpty)
        // The two payloads buffered are taken as one chunk; 900 consumed returns 900.
        guard case .data(let joined)? = try harness.state.takeBody(on: id, &harness.effects) else {
            Issue.record("no data")
            return
        }
        #expect(joined.count == 600)
        #expect(harness.sent().map(\.payload) == [.windowUpdate(increment: 900)])
        #expect(harness.state.stream(id)?.receiveWindow == 1000 - 900 + 900)
    }

    @Test func bufferedPayloadsAreCopiedIntoSegmentsTakenWhole() throws {
        var configuration = HTTP2Configuration()
        configuration.streamWindowSize = 1 << 20
        var harness = StateHarness(configuration: configuration)
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200")], on: id)
        for index in 0..<20 {
            let payload = ByteBuffer([UInt8](repeating: UInt8(index), count: 16 << 10))
            harness.receive(.data(payload, endStream: index == 19), on: id)
        }
        var sizes: [Int] = []
        var bytes: [UInt8] = []
        while case .data(let chunk)? = try harness.state.takeBody(on: id, &harness.effects) {
            sizes.append(chunk.count)
            bytes += Array(chunk)
        }
        let segment = HTTP2BodyBuffer.segmentSize
        #expect(sizes == [segment, segment, segment, (20 << 14) - 3 * segment])
        #expect(bytes == (0..<20).flatMap { [UInt8](repeating: UInt8($0), count: 16 << 10) })
    }

    /// The stream keeps copies, never the slices of the read buffer it was handed, so the
    /// connection's next read can reuse that buffer however far behind the consumer is.
    @Test func payloadsAreCopiedOutOfTheReadBuffer() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200")], on: id)
        let readBuffer = [UInt8](repeating: 1, count: 256 << 10)
        harness.receive(.data(ByteBuffer(storage: readBuffer, range: 0..<(32 << 10)), endStream: false), on: id)
        guard case .data(let chunk)? = try harness.state.takeBody(on: id, &harness.effects) else {
            Issue.record("no data")
            return
        }
        #expect(chunk.count == 32 << 10)
        let readAddress = readBuffer.withUnsafeBufferPointer { $0.baseAddress }
        #expect(chunk.storage.withUnsafeBufferPointer { $0.baseAddress } != readAddress)
    }

    @Test func goAwayRefusesStreamsAboveTheLastAndLetsTheOthersFinish() throws {
        var harness = StateHarness()
        let one = try #require(try harness.open())
        let three = try #require(try harness.open())
        harness.receive(.goAway(lastStreamID: one, .noError, debugData: ByteBuffer()))
        #expect(harness.state.lifecycle == .draining)
        #expect(harness.effects.events.contains(.draining))
        guard case .refused = harness.state.stream(three)?.readFailure else {
            Issue.record("stream 3 not refused")
            return
        }
        #expect(harness.state.stream(one)?.readFailure == nil)
        #expect(throws: HTTP2StreamFailure.self) { try harness.open() }
        harness.receiveHead([(":status", "200")], on: one, endStream: true)
        #expect(harness.state.lifecycle == .closed)
        #expect(try harness.state.takeHead(on: one, returningContinue: false)?.status.code == 200)
        #expect(HTTP2StreamFailure.refused("x").isRefusal)
        #expect(HTTP2StreamFailure.reset(.refusedStream).isRefusal)
        #expect(!HTTP2StreamFailure.reset(.cancel).isRefusal)
    }

    @Test func contentLengthMismatchResetsTheStream() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200"), ("content-length", "10")], on: id)
        harness.receive(.data(ByteBuffer([1, 2, 3]), endStream: true), on: id)
        #expect(harness.sent().last?.payload == .rstStream(.protocolError))
        _ = try harness.state.takeHead(on: id, returningContinue: false)
        _ = try harness.state.takeBody(on: id, &harness.effects)
        #expect {
            _ = try harness.state.takeBody(on: id, &harness.effects)
        } throws: { error in
            guard case .violation(let violation) = error as? HTTP2StreamFailure else { return false }
            return violation.kind == .protocolViolation(.invalidContentLength)
        }
    }

    /// RFC 9113 §8.1.1: octets past the declared content-length are malformed; the reader gets
    /// at most what the head declared, then the error.
    @Test func dataPastContentLengthNeverReachesTheReader() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200"), ("content-length", "4")], on: id)
        harness.receive(.data(ByteBuffer([1, 2, 3]), endStream: false), on: id)
        harness.receive(.data(ByteBuffer([4, 5, 6]), endStream: false), on: id)
        #expect(harness.sent().last?.payload == .rstStream(.protocolError))
        _ = try harness.state.takeHead(on: id, returningContinue: false)
        var delivered: [UInt8] = []
        #expect {
            while case .data(let chunk) = try harness.state.takeBody(on: id, &harness.effects) {
                delivered += Array(chunk)
            }
        } throws: { error in
            guard case .violation(let violation) = error as? HTTP2StreamFailure else { return false }
            return violation.kind == .protocolViolation(.invalidContentLength) && violation.message.contains("6 octets")
        }
        #expect(delivered == [1, 2, 3])
    }

    @Test func malformedResponseHeadsAreStreamErrors() throws {
        for fields in [
            [("content-type", "x")], [(":status", "200"), (":status", "200")], [(":status", "200"), (":path", "/")],
            [(":status", "200"), ("Content-Type", "x")], [(":status", "200"), ("connection", "close")],
            [("x", "y"), (":status", "200")],
        ] {
            var harness = StateHarness()
            let id = try #require(try harness.open())
            _ = harness.sent()
            harness.receiveHead(fields, on: id)
            #expect(harness.sent().map(\.payload) == [.rstStream(.protocolError)], "\(fields)")
        }
    }

    @Test func interimHeadsAreSkippedAndTrailersKept() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "100")], on: id)
        harness.receiveHead([(":status", "103"), ("link", "</a>")], on: id)
        harness.receiveHead([(":status", "200")], on: id)
        harness.receive(.data(ByteBuffer([1]), endStream: false), on: id)
        harness.receive(.headers(ByteBuffer(), endStream: true), on: id, fields: HTTPHeaders([("grpc-status", "0")]))
        #expect(try harness.state.takeHead(on: id, returningContinue: true)?.status.code == 100)
        #expect(try harness.state.takeHead(on: id, returningContinue: true)?.status.code == 200)
        _ = try harness.state.takeBody(on: id, &harness.effects)
        guard case .end(let trailers)? = try harness.state.takeBody(on: id, &harness.effects) else {
            Issue.record("no end")
            return
        }
        #expect(trailers?["grpc-status"] == "0")
    }

    @Test func anEndedResponseIsTakenWholeAndFreesItsStream() throws {
        var harness = StateHarness(serverSettings: [.maxConcurrentStreams(1)])
        let id = try #require(try harness.open())
        _ = harness.sent()
        harness.receiveHead([(":status", "200")], on: id)
        harness.receive(.data(ByteBuffer([1, 2]), endStream: false), on: id)
        _ = try harness.state.takeHead(on: id, returningContinue: false)
        #expect(harness.state.takeEndedBody(on: id, &harness.effects) == nil, "more is to come")
        harness.receive(.data(ByteBuffer([3]), endStream: false), on: id)
        harness.receive(.headers(ByteBuffer(), endStream: true), on: id, fields: HTTPHeaders([("grpc-status", "0")]))
        var ended = try #require(harness.state.takeEndedBody(on: id, &harness.effects))
        var bytes: [UInt8] = []
        while let chunk = ended.body.take() { bytes += Array(chunk) }
        #expect(bytes == [1, 2, 3])
        #expect(ended.trailers?["grpc-status"] == "0")
        // Both sides had ended: the stream is simply forgotten, nothing goes out for it.
        #expect(harness.sent().isEmpty)
        #expect(harness.state.openableStreams == 1)
        #expect(harness.state.takeEndedBody(on: id, &harness.effects) == nil)
    }

    @Test func aResetStreamIsNotTakenAsEnded() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200")], on: id)
        harness.receive(.rstStream(.internalError), on: id)
        #expect(harness.state.takeEndedBody(on: id, &harness.effects) == nil)
        #expect(throws: HTTP2StreamFailure.self) { try harness.state.takeBody(on: id, &harness.effects) }
    }

    /// RFC 9113 §5.1 "closed": DATA after the server's END_STREAM, once both sides have ended,
    /// is a connection error of type STREAM_CLOSED; the response that had ended stays whole.
    @Test func dataAfterBothSidesEndedIsAConnectionError() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open())
        harness.receiveHead([(":status", "200"), ("content-length", "3")], on: id)
        harness.receive(.data(ByteBuffer([1, 2, 3]), endStream: true), on: id)
        _ = harness.sent()
        harness.receive(.data(ByteBuffer([4]), endStream: false), on: id)
        #expect(harness.state.lifecycle == .closed)
        guard case .goAway(_, let code, _) = harness.sent().last?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .streamClosed)
        _ = try harness.state.takeHead(on: id, returningContinue: false)
        var ended = try #require(harness.state.takeEndedBody(on: id, &harness.effects))
        #expect(ended.body.take().map(Array.init) == [1, 2, 3])
    }

    /// RFC 9113 §5.1 "half-closed (remote)": more from the server after its END_STREAM while
    /// the request is still going out is a stream error (STREAM_CLOSED): the upload stops, the
    /// connection and the response that had ended stay.
    @Test func headersAfterTheServerEndedWhileUploadingResetOnlyTheStream() throws {
        var harness = StateHarness()
        let id = try #require(try harness.open(.post, endStream: false))
        harness.receiveHead([(":status", "200")], on: id, endStream: true)
        _ = harness.sent()
        harness.receive(.headers(ByteBuffer(), endStream: true), on: id, fields: HTTPHeaders([("x-late", "1")]))
        #expect(harness.sent().map(\.payload) == [.rstStream(.streamClosed)])
        #expect(harness.state.lifecycle == .open)
        #expect(harness.state.stream(id)?.readFailure == nil)
        #expect(harness.state.stream(id)?.writeFailure != nil)
        #expect(try harness.state.takeHead(on: id, returningContinue: false)?.status.code == 200)
    }

    /// RFC 9113 §6.4: RST_STREAM never names an idle stream; a stream error there (a zero
    /// WINDOW_UPDATE increment, §6.9) becomes a connection error.
    @Test(arguments: [UInt32(2), 7])
    func aStreamErrorOnAnIdleStreamIsAConnectionError(id: UInt32) throws {
        var harness = StateHarness()
        _ = try #require(try harness.open())
        _ = harness.sent()
        harness.state.receiveFrameError(.zeroWindowIncrement(streamID: id), &harness.effects)
        #expect(harness.state.lifecycle == .closed)
        let sent = harness.sent().map(\.payload)
        #expect(!sent.contains { if case .rstStream = $0 { true } else { false } })
        guard case .goAway(_, let code, _) = sent.last else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .protocolError)
    }

    @Test func releaseResetsAnOpenStreamWithCancelAndFreesItsSlot() throws {
        var harness = StateHarness(serverSettings: [.maxConcurrentStreams(1)])
        let id = try #require(try harness.open())
        _ = harness.sent()
        harness.state.release(id, &harness.effects)
        #expect(harness.sent().map(\.payload) == [.rstStream(.cancel)])
        #expect(harness.state.openableStreams == 1)
        // Late frames for the forgotten stream are ignored.
        harness.receive(.data(ByteBuffer([1]), endStream: true), on: id)
        #expect(harness.state.lifecycle == .open)
    }

    @Test func floodsOfControlFramesCloseWithEnhanceYourCalm() {
        var configuration = HTTP2Configuration()
        configuration.floodLimit = 10
        var harness = StateHarness(configuration: configuration)
        for value in 0..<20 { harness.receive(.ping(UInt64(value), ack: false)) }
        #expect(harness.state.lifecycle == .closed)
        guard case .goAway(_, let code, _) = harness.sent().last?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .enhanceYourCalm)
    }

    /// Replies the server's frames call for pile up while it does not read: bounded, even under
    /// the flood guard's rate.
    @Test func repliesAServerDoesNotReadAreBounded() {
        var configuration = HTTP2Configuration()
        configuration.outboundHighWater = 64
        var harness = StateHarness(configuration: configuration)
        var received = 0
        while harness.state.lifecycle != .closed && received < 100 {
            harness.receive(.ping(UInt64(received), ack: false))
            received += 1
        }
        #expect(harness.state.lifecycle == .closed)
        #expect(received < 30)
        guard case .goAway(_, let code, _) = harness.sent().last?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .enhanceYourCalm)
    }

    @Test func pushPromiseIsAProtocolError() {
        var harness = StateHarness()
        harness.receive(.pushPromise(promisedStreamID: 2, ByteBuffer()), on: 1)
        #expect(harness.state.lifecycle == .closed)
        guard case .goAway(_, let code, _) = harness.sent().last?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .protocolError)
    }

    @Test func unansweredPingMarksTheConnectionDegraded() throws {
        var configuration = HTTP2Configuration()
        configuration.pingInterval = .seconds(1)
        var harness = StateHarness(configuration: configuration)
        _ = try harness.open()
        let start = ContinuousClock.now
        _ = harness.state.tick(now: start, &harness.effects)
        _ = harness.state.tick(now: start + .seconds(1), &harness.effects)
        guard case .ping(let value, false)? = harness.sent().last?.payload else {
            Issue.record("no PING")
            return
        }
        harness.receive(.ping(value, ack: true))
        _ = harness.state.tick(now: start + .seconds(2), &harness.effects)
        #expect(harness.state.acceptsStreams)
        _ = harness.state.tick(now: start + .seconds(3), &harness.effects)
        #expect(!harness.state.acceptsStreams)
        #expect(harness.state.isDegraded)
    }

    @Test func requestFieldsDropConnectionSpecificOnesAndLowercase() throws {
        let request = HTTPRequest(
            method: .post, url: URL(string: "https://example.test:8443/a?b=c")!,
            headers: [
                "Connection": "close, X-Hop", "X-Hop": "1", "Keep-Alive": "5", "Transfer-Encoding": "chunked",
                "Upgrade": "h2c", "TE": "trailers, deflate", "Authorization": "secret", "Accept": "*/*",
            ])
        let fields = try requestFields(request)
        #expect(
            fields.fields.map { "\($0.name)=\($0.value)" } == [
                ":method=POST", ":scheme=https", ":authority=example.test:8443", ":path=/a?b=c", "te=trailers",
                "authorization=secret", "accept=*/*",
            ])
    }

    // MARK: Extended CONNECT (RFC 8441)

    private static let tunnelFields = HTTPHeaders([
        (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"), (":authority", "a"),
        (":path", "/chat"),
    ])

    @Test func extendedConnectWaitsForTheServerToEnableIt() throws {
        var harness = StateHarness()
        #expect(throws: HTTP2StreamFailure.self) {
            try harness.state.openStream(
                Self.tunnelFields, endStream: false, isHeadRequest: false, tunnel: true, &harness.effects)
        }
        #expect(harness.sent().isEmpty, "nothing goes out for a CONNECT the server cannot take")
        var enabled = StateHarness(serverSettings: [.enableConnectProtocol(true)])
        let id = try #require(
            try enabled.state.openStream(
                Self.tunnelFields, endStream: false, isHeadRequest: false, tunnel: true, &enabled.effects))
        guard case .headers(_, let endStream, _, _)? = enabled.sent().last?.payload else {
            Issue.record("no HEADERS")
            return
        }
        #expect(!endStream, "the stream stays open from this side to carry the tunnel")
        #expect(enabled.state.stream(id)?.phase == .open)
    }

    @Test func anAcceptedTunnelIgnoresContentLengthAndEndsLikeTCP() throws {
        var harness = StateHarness(serverSettings: [.enableConnectProtocol(true)])
        let id = try #require(
            try harness.state.openStream(
                Self.tunnelFields, endStream: false, isHeadRequest: false, tunnel: true, &harness.effects))
        _ = harness.sent()
        harness.receiveHead([(":status", "200"), ("content-length", "0")], on: id)
        #expect(harness.state.isOpenTunnel(id))
        harness.receive(.data(ByteBuffer([1, 2, 3, 4]), endStream: false), on: id)
        #expect(harness.sent().isEmpty, "no content-length reset: a 2xx to CONNECT has no content")
        harness.state.endSending(on: id, &harness.effects)
        #expect(harness.sent().last?.payload == .data(ByteBuffer(), endStream: true))
        harness.receive(.data(ByteBuffer(), endStream: true), on: id)
        #expect(harness.state.stream(id)?.phase == .closed)
        harness.state.release(id, &harness.effects)
        #expect(harness.sent().isEmpty, "a stream both sides ended needs no RST_STREAM")
    }

    @Test func aRefusedTunnelIsAnOrdinaryResponse() throws {
        var harness = StateHarness(serverSettings: [.enableConnectProtocol(true)])
        let id = try #require(
            try harness.state.openStream(
                Self.tunnelFields, endStream: false, isHeadRequest: false, tunnel: true, &harness.effects))
        harness.receiveHead([(":status", "404"), ("content-length", "10")], on: id)
        #expect(!harness.state.isOpenTunnel(id))
        harness.receive(.data(ByteBuffer([1, 2, 3]), endStream: true), on: id)
        #expect(harness.sent().last?.payload == .rstStream(.protocolError), "its content-length holds")
    }

    @Test func withdrawingExtendedConnectIsAProtocolError() {
        var harness = StateHarness(serverSettings: [.enableConnectProtocol(true)])
        harness.receive(.settings([.enableConnectProtocol(false)]))
        #expect(harness.state.lifecycle == .closed)
        guard case .goAway(_, let code, _) = harness.sent().last?.payload else {
            Issue.record("no GOAWAY")
            return
        }
        #expect(code == .protocolError)
    }

    @Test func anUpgradeRequestBecomesExtendedConnect() throws {
        let request = HTTPRequest(
            url: URL(string: "https://example.test/chat?room=1")!,
            headers: [
                "Upgrade": "WebSocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "chat",
            ])
        #expect(HTTP2Fields.upgradeProtocol(of: request) == "websocket")
        #expect(
            try requestFields(request).fields.map { "\($0.name)=\($0.value)" } == [
                ":method=CONNECT", ":protocol=websocket", ":scheme=https", ":authority=example.test",
                ":path=/chat?room=1", "sec-websocket-version=13", "sec-websocket-protocol=chat",
            ])
        var post = request
        post.method = .post
        #expect(HTTP2Fields.upgradeProtocol(of: post) == nil, "only a GET asks to switch")
        var noConnection = request
        noConnection.headers.remove("Connection")
        #expect(HTTP2Fields.upgradeProtocol(of: noConnection) == nil, "Upgrade alone is not a request to switch")
        var h2c = request
        h2c.headers["Upgrade"] = "h2c"
        #expect(HTTP2Fields.upgradeProtocol(of: h2c) == nil, "only websocket switches over HTTP/2")
        #expect(try requestFields(h2c).fields.first?.value == "GET")
        #expect(try !requestFields(h2c).contains("upgrade"))
    }
}
