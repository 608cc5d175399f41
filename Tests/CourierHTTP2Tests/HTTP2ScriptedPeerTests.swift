import CourierCore
import CourierTransport
import FoundationEssentials
import Testing

@testable import CourierHTTP2

/// The client connection against a server scripted frame by frame over loopback.
@Suite("HTTP/2 connection against a scripted peer")
struct HTTP2ScriptedPeerTests {
    @Test func settingsHandshakeAnnouncesWindowsAndNoPush() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.unstarted()
            async let started: Void = connection.start(timeout: IOTimeout(.seconds(5)))
            let settings = try await peer.handshake([.maxConcurrentStreams(3)])
            try await started
            #expect(settings.contains(.enablePush(false)))
            #expect(settings.contains(.initialWindowSize(4 << 20)))
            #expect(try await peer.frame().payload == .windowUpdate(increment: UInt32((16 << 20) - 65_535)))
            #expect(try await peer.frame().payload == .settingsAck)
            #expect(connection.exchangeCapacity == 3)
            #expect(connection.info.version == .http2)
            connection.close()
            peer.close()
        }
    }

    @Test func startTimesOutWithoutServerSettings() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.unstarted()
            await #expect {
                try await connection.start(timeout: IOTimeout(.milliseconds(300)))
            } throws: { ($0 as? HTTPClientError)?.kind == .timeout(.connect) }
            peer.close()
        }
    }

    @Test func getReadsHeadAndBody() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            #expect(!codec.begin())
            async let response: (ResponseHead, [UInt8]) = {
                try await codec.writeRequestHead(
                    get("/hello"), body: nil, endOfRequest: true, timeout: readTimeout)
                let head = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
                _ = try codec.openResponseBody(for: get(), head: head, requestComplete: true)
                return (head, try await (codec as! HTTP2StreamCodec).readAll())
            }()
            let request = try await peer.request()
            #expect(request.endStream)
            #expect(request.fields[":path"] == "/hello")
            #expect(request.fields[":authority"] == "127.0.0.1")
            #expect(request.fields[":scheme"] == "http")
            try await peer.send(
                peer.headers([(":status", "200"), ("content-length", "5")], on: request.stream),
                HTTP2Frame(streamID: request.stream, payload: .data(ByteBuffer(string: "hello"), endStream: true)))
            let (head, body) = try await response
            #expect(head.status.code == 200)
            #expect(head.version == .http2)
            #expect(body == Array("hello".utf8))
            #expect(codec.isReusable)
            #expect(connection.makeCodec().begin())
            connection.close()
            peer.close()
        }
    }

    @Test func postLargerThanTheInitialWindowWaitsForWindowUpdates() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            let body = ByteBuffer((0..<200_000).map { UInt8(truncatingIfNeeded: $0) })
            let upload = Task {
                let request = HTTPRequest(method: .post, url: URL(string: "http://127.0.0.1/up")!)
                try await codec.writeRequestHead(request, body: nil, endOfRequest: false, timeout: readTimeout)
                try await codec.writeRequestBody(body, timeout: readTimeout)
                try await codec.finishRequest(timeout: readTimeout)
                return try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            }
            let request = try await peer.request()
            #expect(!request.endStream)
            var received: [UInt8] = []
            var ended = false
            while !ended {
                let frame = try await peer.frame()
                guard case .data(let data, let endStream, _) = frame.payload else { continue }
                received += data
                ended = endStream
                #expect(received.count <= 65_535 || received.count > 65_535)
                if received.count == 65_535 {
                    // The initial windows are used up: the client must wait for more.
                    try await peer.send(
                        HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: 200_000)),
                        HTTP2Frame(streamID: request.stream, payload: .windowUpdate(increment: 200_000)))
                }
            }
            #expect(received == Array(body))
            try await peer.send(peer.headers([(":status", "201")], on: request.stream, endStream: true))
            #expect(try await upload.value.status.code == 201)
            connection.close()
            peer.close()
        }
    }

    @Test func windowUpdateOverflowFailsTheStreamWithFlowControlError() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            let request = HTTPRequest(method: .post, url: URL(string: "http://127.0.0.1/up")!)
            try await codec.writeRequestHead(request, body: nil, endOfRequest: false, timeout: readTimeout)
            let sent = try await peer.request()
            try await peer.send(
                HTTP2Frame(streamID: sent.stream, payload: .windowUpdate(increment: HTTP2Setting.maxWindowSize)))
            let reset = try await peer.frame { if case .rstStream = $0.payload { true } else { false } }
            #expect(reset.payload == .rstStream(.flowControlError))
            await #expect {
                _ = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            } throws: { error in
                let error = error as? HTTPClientError
                return error?.kind == .protocolViolation(.http2Protocol) && error!.message.contains("2^31-1")
            }
            #expect(connection.isHealthy)
            connection.close()
            peer.close()
        }
    }

    @Test func pushPromiseIsAnsweredWithGoAwayProtocolError() async throws {
        try await withTimeout {
            let (connection, peer, events) = try await PeerPair.make()
            let codec = connection.makeCodec()
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            let sent = try await peer.request()
            var block: [UInt8] = []
            var encoder = HPACKEncoder(role: .server)
            encoder.encode(HTTPHeaders([(":method", "GET")]), into: &block)
            // PUSH_PROMISE (type 5): promised stream 2, then the block.
            try await peer.sendRaw(
                rawFrame(0x5, flags: 0x4, stream: sent.stream, bigEndian(2) + block))
            let goAway = try await peer.frame { if case .goAway = $0.payload { true } else { false } }
            guard case .goAway(_, let code, _) = goAway.payload else { return }
            #expect(code == .protocolError)
            await #expect(throws: HTTPClientError.self) {
                _ = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            }
            #expect(!connection.isHealthy)
            #expect(events.all.contains(.closed))
            peer.close()
        }
    }

    @Test func goAwayRefusesStreamsAboveLastStreamAndFinishesTheRest() async throws {
        try await withTimeout {
            let (connection, peer, events) = try await PeerPair.make()
            let first = connection.makeCodec()
            let second = connection.makeCodec()
            try await first.writeRequestHead(get("/1"), body: nil, endOfRequest: true, timeout: readTimeout)
            try await second.writeRequestHead(get("/2"), body: nil, endOfRequest: true, timeout: readTimeout)
            let one = try await peer.request()
            _ = try await peer.request()
            try await peer.send(
                HTTP2Frame(streamID: 0, payload: .goAway(lastStreamID: one.stream, .noError, debugData: ByteBuffer())))
            await #expect {
                _ = try await second.readResponseHead(timeout: readTimeout, returningContinue: false)
            } throws: { $0 is UnprocessedRequest }
            #expect(!connection.isHealthy)
            #expect(connection.openableStreams == 0)
            await #expect {
                try await connection.makeCodec().writeRequestHead(
                    get(), body: nil, endOfRequest: true, timeout: readTimeout)
            } throws: { $0 is UnprocessedRequest }
            try await peer.send(
                peer.headers([(":status", "200")], on: one.stream),
                HTTP2Frame(streamID: one.stream, payload: .data(ByteBuffer(string: "ok"), endStream: true)))
            let head = try await first.readResponseHead(timeout: readTimeout, returningContinue: false)
            #expect(head.status.code == 200)
            _ = try first.openResponseBody(for: get(), head: head, requestComplete: true)
            #expect(try await (first as! HTTP2StreamCodec).readAll() == Array("ok".utf8))
            #expect(events.all.contains(.draining))
            // The last stream ended: the connection closes.
            for _ in 0..<100 where !events.all.contains(.closed) { try await Task.sleep(for: .milliseconds(10)) }
            #expect(events.all.contains(.closed))
            peer.close()
        }
    }

    @Test func serverResetFailsOnlyItsStream() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            let sent = try await peer.request()
            try await peer.send(peer.headers([(":status", "200")], on: sent.stream))
            let head = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            _ = try codec.openResponseBody(for: get(), head: head, requestComplete: true)
            try await peer.send(HTTP2Frame(streamID: sent.stream, payload: .rstStream(.internalError)))
            await #expect {
                _ = try await codec.readResponseBody(timeout: readTimeout)
            } throws: { error in
                let error = error as? HTTPClientError
                return error?.kind == .connectionReset && error!.message.contains("INTERNAL_ERROR")
            }
            #expect(connection.isHealthy)
            let refused = connection.makeCodec()
            try await refused.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            let again = try await peer.request()
            try await peer.send(HTTP2Frame(streamID: again.stream, payload: .rstStream(.refusedStream)))
            await #expect {
                _ = try await refused.readResponseHead(timeout: readTimeout, returningContinue: false)
            } throws: { $0 is UnprocessedRequest }
            connection.close()
            peer.close()
        }
    }

    @Test func cancelResetsTheStreamAndKeepsTheConnection() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make(serverSettings: [.maxConcurrentStreams(1)])
            let codec = connection.makeCodec()
            try await codec.writeRequestHead(get("/slow"), body: nil, endOfRequest: true, timeout: readTimeout)
            let sent = try await peer.request()
            #expect(connection.openableStreams == 0)
            codec.cancel()
            let reset = try await peer.frame { if case .rstStream = $0.payload { true } else { false } }
            #expect(reset.streamID == sent.stream)
            #expect(reset.payload == .rstStream(.cancel))
            #expect(connection.openableStreams == 1)
            // A late response for the cancelled stream is ignored; a second stream works.
            try await peer.send(peer.headers([(":status", "200")], on: sent.stream, endStream: true))
            let second = connection.makeCodec()
            try await second.writeRequestHead(get("/2"), body: nil, endOfRequest: true, timeout: readTimeout)
            let next = try await peer.request()
            #expect(next.stream == sent.stream + 2)
            try await peer.send(peer.headers([(":status", "204")], on: next.stream, endStream: true))
            let head = try await second.readResponseHead(timeout: readTimeout, returningContinue: false)
            #expect(head.status.code == 204)
            #expect(try !second.openResponseBody(for: get(), head: head, requestComplete: true))
            connection.close()
            peer.close()
        }
    }

    @Test func slowReaderGetsWindowUpdatesOnlyAsItConsumes() async throws {
        try await withTimeout {
            var configuration = HTTP2Configuration()
            configuration.streamWindowSize = 32_768
            let (connection, peer, _) = try await PeerPair.make(configuration: configuration)
            let codec = connection.makeCodec() as! HTTP2StreamCodec
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            let sent = try await peer.request()
            let chunk = ByteBuffer([UInt8](repeating: 1, count: 16_384))
            try await peer.send(
                peer.headers([(":status", "200")], on: sent.stream),
                HTTP2Frame(streamID: sent.stream, payload: .data(chunk, endStream: false)))
            let head = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            _ = try codec.openResponseBody(for: get(), head: head, requestComplete: true)
            // Nothing consumed yet: a PING round trip shows no stream WINDOW_UPDATE was sent.
            try await peer.send(HTTP2Frame(streamID: 0, payload: .ping(42, ack: false)))
            let beforeRead = try await peer.frame(
                where: { $0.payload == .ping(42, ack: true) }, skipping: { _ in false })
            #expect(beforeRead.payload == .ping(42, ack: true))
            #expect(try await codec.readResponseBody(timeout: readTimeout)?.count == 16_384)
            let update = try await peer.frame(skipping: { _ in false })
            #expect(update == HTTP2Frame(streamID: sent.stream, payload: .windowUpdate(increment: 16_384)))
            try await peer.send(HTTP2Frame(streamID: sent.stream, payload: .data(chunk, endStream: true)))
            #expect(try await codec.readAll().count == 16_384)
            connection.close()
            peer.close()
        }
    }

    @Test func trailersFollowTheBody() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec() as! HTTP2StreamCodec
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            let sent = try await peer.request()
            try await peer.send(
                peer.headers([(":status", "100")], on: sent.stream),
                peer.headers([(":status", "200")], on: sent.stream),
                HTTP2Frame(streamID: sent.stream, payload: .data(ByteBuffer(string: "x"), endStream: false)),
                peer.headers([("checksum", "abc")], on: sent.stream, endStream: true))
            let head = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            #expect(head.status.code == 200)
            #expect(try codec.openResponseBody(for: get(), head: head, requestComplete: true))
            // Trailers are read through the body, so a body with trailers is never handed over whole.
            #expect(codec.takeWholeBody() == nil)
            #expect(try await codec.readAll() == [UInt8(ascii: "x")])
            #expect(codec.trailers?["checksum"] == "abc")
            connection.close()
            peer.close()
        }
    }

    /// A connection, its peer, and a GET on a stream the peer has read.
    private func sentGet() async throws -> (HTTP2Connection, ScriptedPeer, HTTP2StreamCodec, UInt32) {
        let (connection, peer, _) = try await PeerPair.make()
        let codec = connection.makeCodec() as! HTTP2StreamCodec
        try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
        return (connection, peer, codec, try await peer.request().stream)
    }

    /// Reads the response head and opens a body that must be there.
    private func openBody(_ codec: HTTP2StreamCodec) async throws {
        let head = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
        #expect(try codec.openResponseBody(for: get(), head: head, requestComplete: true))
    }

    @Test("A body that came with its head is handed over whole, once, and its stream is free at once")
    func wholeBodyIsHandedOver() async throws {
        try await withTimeout {
            let (connection, peer, codec, stream) = try await sentGet()
            // One write: the reader applies both frames before it wakes the head's reader.
            try await peer.send(
                peer.headers([(":status", "200")], on: stream),
                HTTP2Frame(streamID: stream, payload: .data(ByteBuffer(string: "hello"), endStream: true)))
            try await openBody(codec)
            #expect(connection.state.withLock { $0.activeStreams } == 0)
            #expect(codec.takeWholeBody() == ByteBuffer(string: "hello"))
            #expect(codec.takeWholeBody() == nil)
            connection.close()
            peer.close()
        }
    }

    @Test("A body still arriving, or more than one segment, is read as it streams", arguments: [false, true])
    func bodyNotWholeStreams(large: Bool) async throws {
        try await withTimeout {
            let (connection, peer, codec, stream) = try await sentGet()
            let frameSize = 16_384
            let body = (0..<(large ? HTTP2BodyBuffer.segmentSize + frameSize : 5)).map { UInt8(truncatingIfNeeded: $0) }
            let data = stride(from: 0, to: body.count, by: frameSize).map { start in
                let chunk = ByteBuffer(Array(body[start..<min(start + frameSize, body.count)]))
                return HTTP2Frame(
                    streamID: stream, payload: .data(chunk, endStream: start + frameSize >= body.count))
            }
            // Large: the whole body may be there with the head, in more than one segment.
            // Small: the head goes first, and the body only once the head has been read.
            try await peer.send([peer.headers([(":status", "200")], on: stream)] + (large ? data : []))
            try await openBody(codec)
            #expect(codec.takeWholeBody() == nil)
            if !large { try await peer.send(data) }
            #expect(try await codec.readAll() == body)
            connection.close()
            peer.close()
        }
    }

    @Test func continuationFloodIsBounded() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            let sent = try await peer.request()
            // HEADERS without END_HEADERS, then empty CONTINUATION frames forever.
            try await peer.sendRaw(rawFrame(0x1, flags: 0, stream: sent.stream, [0x88]))
            let empty = rawFrame(0x9, flags: 0, stream: sent.stream)
            let flood = [UInt8](Array(repeating: empty, count: 40_000).joined())
            let sender = Task { try? await peer.sendRaw(flood) }
            let goAway = try await peer.frame { if case .goAway = $0.payload { true } else { false } }
            guard case .goAway(_, let code, _) = goAway.payload else { return }
            #expect(code == .enhanceYourCalm)
            await #expect(throws: HTTPClientError.self) {
                _ = try await codec.readResponseHead(timeout: readTimeout, returningContinue: false)
            }
            sender.cancel()
            peer.close()
        }
    }

    @Test func readTimeoutFailsTheStreamWithReadTimeout() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            _ = try await peer.request()
            await #expect {
                _ = try await codec.readResponseHead(timeout: IOTimeout(.milliseconds(200)), returningContinue: false)
            } throws: { ($0 as? HTTPClientError)?.kind == .timeout(.read) }
            let reset = try await peer.frame { if case .rstStream = $0.payload { true } else { false } }
            #expect(reset.payload == .rstStream(.cancel))
            connection.close()
            peer.close()
        }
    }

    @Test func cancellingTheReadingTaskThrowsCancellationError() async throws {
        try await withTimeout {
            let (connection, peer, _) = try await PeerPair.make()
            let codec = connection.makeCodec()
            try await codec.writeRequestHead(get(), body: nil, endOfRequest: true, timeout: readTimeout)
            _ = try await peer.request()
            let reader = Task { try await codec.readResponseHead(timeout: readTimeout, returningContinue: false) }
            try await Task.sleep(for: .milliseconds(50))
            reader.cancel()
            await #expect(throws: CancellationError.self) { _ = try await reader.value }
            connection.close()
            peer.close()
        }
    }
}
