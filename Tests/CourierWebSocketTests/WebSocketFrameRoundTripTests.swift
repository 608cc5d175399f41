import CourierCore
import Testing

@testable import CourierWebSocket

/// Frames encoded and decoded back, by both roles, fed whole and split at every byte; and the
/// examples of RFC 6455 §5.7, byte for byte.
@Suite("WebSocket frames: round trips and RFC 6455 examples")
struct WebSocketFrameRoundTripTests {
    static let frames: [WebSocketFrame] = [
        frame(.text, "Hello"),
        frame(.text, "", fin: true),
        frame(.binary, bytes: [0, 1, 2, 0xFF]),
        frame(.text, "frag", fin: false, compressed: true),
        frame(.continuation, "ment", fin: false),
        frame(.continuation, "", fin: true),
        frame(.ping, ""),
        frame(.ping, bytes: [UInt8](repeating: 0xAB, count: 125)),
        frame(.pong, "pong"),
        frame(.close, bytes: [0x03, 0xE8] + Array("bye".utf8)),
        frame(.binary, bytes: randomBytes(126, seed: 1)),
        frame(.binary, bytes: randomBytes(0xFFFF, seed: 2)),
        frame(.binary, bytes: randomBytes(0x1_0000, seed: 3)),
    ]

    @Test(
        "Every frame survives encoding and decoding, by a client to a server and back",
        arguments: [
            WebSocketRole.client, .server,
        ])
    func roundTrip(sender: WebSocketRole) {
        var encoder = WebSocketFrameEncoder(role: sender)
        var bytes: [UInt8] = []
        for frame in Self.frames { encoder.encode(frame, into: &bytes) }
        let receiver: WebSocketRole = sender == .client ? .server : .client
        let decoder = WebSocketFrameDecoder(role: receiver, compressionNegotiated: true, maxFramePayloadSize: 1 << 20)
        let run = FrameRun(bytes, decoder: decoder)
        #expect(run.error == nil)
        #expect(run.frames == Self.frames)
        #expect(run.unconsumed == 0)
    }

    @Test("Frames split at every byte decode the same", arguments: [WebSocketRole.client, .server])
    func everySplit(sender: WebSocketRole) {
        var encoder = WebSocketFrameEncoder(role: sender)
        var bytes: [UInt8] = []
        for frame in Self.frames.prefix(10) { encoder.encode(frame, into: &bytes) }
        let receiver: WebSocketRole = sender == .client ? .server : .client
        let decoder = WebSocketFrameDecoder(role: receiver, compressionNegotiated: true, maxFramePayloadSize: 1 << 20)
        for pieces in splits(of: bytes.count) {
            let run = FrameRun(bytes, pieces: pieces, decoder: decoder)
            #expect(run.error == nil && run.frames == Array(Self.frames.prefix(10)), "pieces \(pieces.prefix(2))")
        }
    }

    @Test("An incomplete frame waits for its last byte and consumes nothing until then")
    func incomplete() {
        let bytes = rawFrame(0x81, mask: 0x1234_5678, Array("Hello".utf8))
        let decoder = WebSocketFrameDecoder(role: .server, maxFramePayloadSize: 1024)
        for length in 0..<bytes.count {
            let run = FrameRun(Array(bytes.prefix(length)), decoder: decoder)
            #expect(run.frames.isEmpty && run.error == nil && run.unconsumed == length)
        }
        #expect(FrameRun(bytes, decoder: decoder).frames == [frame(.text, "Hello")])
    }

    // RFC 6455 §5.7.

    @Test("§5.7: a single-frame unmasked text message")
    func unmaskedHello() {
        let wire = [UInt8](hex: "81 05 48 65 6c 6c 6f")
        #expect(encoded([frame(.text, "Hello")], role: .server) == wire)
        #expect(FrameRun(wire, decoder: clientDecoder).frames == [frame(.text, "Hello")])
    }

    @Test("§5.7: a single-frame masked text message")
    func maskedHello() {
        let wire = [UInt8](hex: "81 85 37 fa 21 3d 7f 9f 4d 51 58")
        #expect(encoded([frame(.text, "Hello")], role: .client, keys: FixedMaskKeys(0x37fa_213d)) == wire)
        #expect(FrameRun(wire, decoder: serverDecoder).frames == [frame(.text, "Hello")])
    }

    @Test("§5.7: a fragmented unmasked text message")
    func fragmentedHello() {
        let wire = [UInt8](hex: "01 03 48 65 6c 80 02 6c 6f")
        let frames = [frame(.text, "Hel", fin: false), frame(.continuation, "lo")]
        #expect(encoded(frames, role: .server) == wire)
        #expect(FrameRun(wire, decoder: clientDecoder).frames == frames)
        var encoder = WebSocketFrameEncoder(role: .server, maxFramePayloadSize: 3)
        var bytes: [UInt8] = []
        Array("Hello".utf8).withUnsafeBytes {
            encoder.encodeMessage(.text, payload: $0, compressed: false, into: &bytes)
        }
        #expect(bytes == wire)
    }

    @Test("§5.7: an unmasked ping and a masked pong")
    func pingPong() {
        let ping = [UInt8](hex: "89 05 48 65 6c 6c 6f")
        let pong = [UInt8](hex: "8a 85 37 fa 21 3d 7f 9f 4d 51 58")
        #expect(encoded([frame(.ping, "Hello")], role: .server) == ping)
        #expect(encoded([frame(.pong, "Hello")], role: .client, keys: FixedMaskKeys(0x37fa_213d)) == pong)
        #expect(FrameRun(ping, decoder: clientDecoder).frames == [frame(.ping, "Hello")])
        #expect(FrameRun(pong, decoder: serverDecoder).frames == [frame(.pong, "Hello")])
    }

    @Test(
        "§5.7: 256 bytes and 64 KiB of binary data in one unmasked frame",
        arguments: [
            (256, "82 7e 01 00"), (65_536, "82 7f 00 00 00 00 00 01 00 00"),
        ])
    func longBinary(count: Int, header: String) {
        let payload = randomBytes(count, seed: UInt64(count))
        let wire = [UInt8](hex: header) + payload
        #expect(encoded([frame(.binary, bytes: payload)], role: .server) == wire)
        #expect(FrameRun(wire, decoder: clientDecoder).frames == [frame(.binary, bytes: payload)])
    }

    @Test("Lengths at the edges of each encoding", arguments: [0, 125, 126, 127, 0xFFFF, 0x1_0000])
    func lengthEdges(length: Int) {
        let header = WebSocketFrameHeader(fin: true, opcode: .binary, maskKey: nil, payloadLength: UInt64(length))
        var bytes: [UInt8] = []
        header.encode(into: &bytes)
        let expected = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10
        #expect(bytes.count == expected && header.encodedLength == expected)
        let parsed = bytes.withUnsafeBytes { try? WebSocketFrameHeader.parse($0) }
        #expect(parsed?.header == header && parsed?.length == expected)
    }

    @Test("Non-minimal length encodings are accepted")
    func nonMinimalLengths() {
        let payload = Array("Hi".utf8)
        for octets in [2, 8] {
            let run = FrameRun(rawFrame(0x82, payload, lengthOctets: octets), decoder: clientDecoder)
            #expect(run.error == nil && run.frames == [frame(.binary, bytes: payload)])
        }
    }

    @Test("A message longer than the frame size becomes a first frame and continuations")
    func fragmentation() {
        let payload = randomBytes(10_000, seed: 9)
        var encoder = WebSocketFrameEncoder(role: .client, maxFramePayloadSize: 4096)
        var bytes: [UInt8] = []
        payload.withUnsafeBytes { encoder.encodeMessage(.binary, payload: $0, compressed: true, into: &bytes) }
        let decoder = WebSocketFrameDecoder(role: .server, compressionNegotiated: true, maxFramePayloadSize: 4096)
        let run = FrameRun(bytes, decoder: decoder)
        #expect(
            run.frames == [
                frame(.binary, bytes: Array(payload[0..<4096]), fin: false, compressed: true),
                frame(.continuation, bytes: Array(payload[4096..<8192]), fin: false),
                frame(.continuation, bytes: Array(payload[8192...])),
            ])
        var empty: [UInt8] = []
        [UInt8]().withUnsafeBytes { encoder.encodeMessage(.text, payload: $0, compressed: false, into: &empty) }
        #expect(FrameRun(empty, decoder: decoder).frames == [frame(.text, "")])
    }

    @Test("A client masks every frame with a fresh key")
    func freshMasks() {
        var encoder = WebSocketFrameEncoder(role: .client, maskKeys: FixedMaskKeys(0x0102_0304, 0xA0B0_C0D0))
        var bytes: [UInt8] = []
        encoder.encode(frame(.text, "a"), into: &bytes)
        encoder.encode(frame(.text, "a"), into: &bytes)
        #expect(bytes == [0x81, 0x81, 1, 2, 3, 4, 0x61 ^ 1, 0x81, 0x81, 0xA0, 0xB0, 0xC0, 0xD0, 0x61 ^ 0xA0])
        // With the system's generator, a thousand keys are all different (a repeat among 1000
        // random 32-bit keys has a chance of about 1 in 10,000).
        var system = WebSocketFrameEncoder(role: .client)
        var keys: Set<[UInt8]> = []
        for _ in 0..<1000 {
            var one: [UInt8] = []
            system.encode(frame(.ping, ""), into: &one)
            keys.insert(Array(one[2..<6]))
        }
        #expect(keys.count == 1000)
    }

    @Test("Masking eight bytes at a time equals masking byte by byte, at every length and key")
    func maskingMatchesNaive() {
        let payload = randomBytes(100, seed: 4)
        for key: UInt32 in [0, 0xFFFF_FFFF, 0x37fa_213d, 0x0102_0304] {
            let keyBytes = (0..<4).map { UInt8(truncatingIfNeeded: key >> (24 - 8 * $0)) }
            for length in 0...payload.count {
                var masked = Array(payload.prefix(length))
                masked.withUnsafeMutableBytes { WebSocketMasking.apply(key: key, to: $0) }
                let naive = payload.prefix(length).enumerated().map { $0.element ^ keyBytes[$0.offset % 4] }
                #expect(masked == naive, "key \(key) length \(length)")
            }
        }
    }

    private var clientDecoder: WebSocketFrameDecoder {
        WebSocketFrameDecoder(role: .client, maxFramePayloadSize: 1 << 20)
    }
    private var serverDecoder: WebSocketFrameDecoder {
        WebSocketFrameDecoder(role: .server, maxFramePayloadSize: 1 << 20)
    }

    private func encoded(
        _ frames: [WebSocketFrame], role: WebSocketRole, keys: FixedMaskKeys = FixedMaskKeys(0)
    ) -> [UInt8] {
        var encoder = WebSocketFrameEncoder(role: role, maskKeys: keys)
        var bytes: [UInt8] = []
        for frame in frames { encoder.encode(frame, into: &bytes) }
        return bytes
    }
}
