import CourierCore
import Testing

@testable import CourierWebSocket

/// permessage-deflate's compression (RFC 7692 §7.2): the examples of §7.2.3 byte for byte,
/// context takeover, windows, the message-size cap on what a message inflates to.
@Suite("permessage-deflate: compression")
struct PerMessageDeflateCodecTests {
    private let hello = Array("Hello".utf8)

    @Test("§7.2.3.1: \"Hello\" compresses to f2 48 cd c9 c9 07 00 and decodes from one frame or two")
    func helloExample() throws {
        let deflater = WebSocketDeflater(windowBits: 15, noContextTakeover: false)
        #expect(hello.withUnsafeBytes { deflater.compress($0) } == [UInt8](hex: "f2 48 cd c9 c9 07 00"))
        #expect(try receive([UInt8](hex: "c1 07 f2 48 cd c9 c9 07 00")) == [.text("Hello")])
        #expect(try receive([UInt8](hex: "41 03 f2 48 cd 80 04 c9 c9 07 00")) == [.text("Hello")])
    }

    @Test("§7.2.3.2: with context takeover the second \"Hello\" is f2 00 11 00 00; without, the same as the first")
    func contextTakeover() throws {
        let sharing = WebSocketDeflater(windowBits: 15, noContextTakeover: false)
        let first = hello.withUnsafeBytes { sharing.compress($0) }
        let second = hello.withUnsafeBytes { sharing.compress($0) }
        #expect(first == [UInt8](hex: "f2 48 cd c9 c9 07 00") && second == [UInt8](hex: "f2 00 11 00 00"))
        let resetting = WebSocketDeflater(windowBits: 15, noContextTakeover: true)
        for _ in 0..<3 {
            #expect(hello.withUnsafeBytes { resetting.compress($0) } == [UInt8](hex: "f2 48 cd c9 c9 07 00"))
        }
        let wire = [UInt8](hex: "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00")
        #expect(try receive(wire) == [.text("Hello"), .text("Hello")])
    }

    @Test("An inflater that forgets its window between messages cannot read a context-taking second message")
    func noContextTakeoverResetsInflater() {
        let wire = [UInt8](hex: "c1 07 f2 48 cd c9 c9 07 00 c1 05 f2 00 11 00 00")
        let forgetting = PerMessageDeflateParameters(serverNoContextTakeover: true)
        #expect(throws: WebSocketProtocolError.self) { try receive(wire, parameters: forgetting) }
    }

    @Test("§7.2.3.3, §7.2.3.4, §7.2.3.5, §7.2.3.6: a stored block, BFINAL set, two blocks, an empty message")
    func otherExamples() throws {
        #expect(try receive([UInt8](hex: "c1 0b 00 05 00 fa ff 48 65 6c 6c 6f 00")) == [.text("Hello")])
        // BFINAL ends the DEFLATE stream: the next message starts a new one.
        #expect(
            try receive([UInt8](hex: "c1 08 f3 48 cd c9 c9 07 00 00 c1 07 f2 48 cd c9 c9 07 00"))
                == [.text("Hello"), .text("Hello")])
        // With context takeover, the window outlives the stream BFINAL ended.
        #expect(
            try receive([UInt8](hex: "c1 08 f3 48 cd c9 c9 07 00 00 c1 05 f2 00 11 00 00"))
                == [.text("Hello"), .text("Hello")])
        #expect(try receive([UInt8](hex: "c1 0d f2 48 05 00 00 00 ff ff ca c9 c9 07 00")) == [.text("Hello")])
        #expect(try receive([UInt8](hex: "c1 01 00")) == [.text("")])
        let deflater = WebSocketDeflater(windowBits: 15, noContextTakeover: false)
        #expect([UInt8]().withUnsafeBytes { deflater.compress($0) } == [0x00])
    }

    @Test("Corrupt DEFLATE data is 1007")
    func corruptData() {
        let error = #expect(throws: WebSocketProtocolError.self) { try receive([0xC2, 0x03, 0xFF, 0xFF, 0xFF]) }
        guard case .invalidCompressedData = error else {
            Issue.record("not invalidCompressedData: \(String(describing: error))")
            return
        }
        #expect(error?.closeCode == .invalidFramePayloadData)
    }

    @Test("A deflate bomb stops at the message cap with 1009, never holding more than the cap")
    func deflateBomb() throws {
        let limit = 1 << 20
        let zeros = [UInt8](repeating: 0, count: 24 << 20)
        let bomb = zeros.withUnsafeBytes { WebSocketDeflater(windowBits: 15, noContextTakeover: true).compress($0) }
        #expect(bomb.count < 64 << 10)
        let inflater = WebSocketInflater(windowBits: 15, noContextTakeover: false)
        var output: [UInt8] = []
        let error = #expect(throws: WebSocketProtocolError.self) {
            try bomb.withUnsafeBytes { try inflater.decompress($0, into: &output, limit: limit) }
        }
        #expect(error == .messageTooLarge(limit: limit) && error?.closeCode == .messageTooBig)
        #expect(output.count == limit)
        #expect(output.capacity < limit + (16 << 10))
        // Exactly the cap passes.
        let fits = [UInt8](repeating: 0, count: limit)
        let small = fits.withUnsafeBytes { WebSocketDeflater(windowBits: 15, noContextTakeover: true).compress($0) }
        let exact = WebSocketInflater(windowBits: 15, noContextTakeover: false)
        var message: [UInt8] = []
        try small.withUnsafeBytes { try exact.decompress($0, into: &message, limit: limit) }
        try exact.finishMessage(into: &message, limit: limit)
        #expect(message == fits)
    }

    /// `maxMessageSize = .max` means no limit: the room left must not overflow into a trap.
    @Test("A message limit of Int.max inflates without overflowing")
    func unlimited() throws {
        let text = Array(String(repeating: "no limit, ", count: 1000).utf8)
        let compressed = text.withUnsafeBytes {
            WebSocketDeflater(windowBits: 15, noContextTakeover: true).compress($0)
        }
        let inflater = WebSocketInflater(windowBits: 15, noContextTakeover: false)
        var output: [UInt8] = []
        try compressed.withUnsafeBytes { try inflater.decompress($0, into: &output, limit: .max) }
        try inflater.finishMessage(into: &output, limit: .max)
        #expect(output == text)
    }

    @Test("Compressed text is checked after decompression: invalid UTF-8 is 1007")
    func compressedInvalidText() {
        let payload = Array(String(repeating: "valid text, ", count: 10).utf8) + [0xED, 0xA0, 0x80]
        let compressed = payload.withUnsafeBytes {
            WebSocketDeflater(windowBits: 15, noContextTakeover: false).compress($0)
        }
        var assembler = WebSocketMessageAssembler(role: .client, deflate: PerMessageDeflateParameters())
        #expect(throws: WebSocketProtocolError.invalidUTF8) {
            try assembler.receive(frame(.text, bytes: compressed, fin: false, compressed: true))
        }
    }

    @Test("Through the assembler, a compressed message over the cap is 1009")
    func bombThroughAssembler() {
        let payload = [UInt8](repeating: 0x61, count: 100_000)
        let compressed = payload.withUnsafeBytes {
            WebSocketDeflater(windowBits: 15, noContextTakeover: false).compress($0)
        }
        var assembler = WebSocketMessageAssembler(
            role: .client, deflate: PerMessageDeflateParameters(), maxMessageSize: 99_999)
        let error = #expect(throws: WebSocketProtocolError.self) {
            try assembler.receive(frame(.text, bytes: compressed, compressed: true))
        }
        #expect(error?.closeCode == .messageTooBig)
    }

    @Test("A window of 8 bits deflates with 9, yet never reaches past 256 octets; 10 bits would")
    func eightBitWindow() throws {
        // Messages that repeat 300 octets back: in a 512-octet window, out of reach of a 256-octet one.
        let block = randomBytes(300, seed: 8)
        func roundTrip(deflateBits: Int) -> (sizes: [Int], result: Result<[UInt8], WebSocketProtocolError>) {
            let deflater = WebSocketDeflater(windowBits: deflateBits, noContextTakeover: false)
            let inflater = WebSocketInflater(windowBits: 8, noContextTakeover: false)
            var sizes: [Int] = []
            var received: [UInt8] = []
            for _ in 0..<3 {
                let compressed = block.withUnsafeBytes { deflater.compress($0) }
                sizes.append(compressed.count)
                var message: [UInt8] = []
                do throws(WebSocketProtocolError) {
                    try ByteBuffer(compressed).withUnsafeBytes { bytes throws(WebSocketProtocolError) in
                        try inflater.decompress(bytes, into: &message, limit: 1 << 20)
                    }
                    try inflater.finishMessage(into: &message, limit: 1 << 20)
                } catch {
                    return (sizes, .failure(error))
                }
                received += message
            }
            return (sizes, .success(received))
        }
        let eight = roundTrip(deflateBits: 8)
        #expect(try eight.result.get() == block + block + block)
        let ten = roundTrip(deflateBits: 10)
        // The 10-bit window finds the repeat (the second message shrinks) and the 8-bit inflater
        // cannot follow it there: the test can tell a window that is too large.
        #expect(ten.sizes[1] < 100)
        #expect(throws: WebSocketProtocolError.self) { try ten.result.get() }
    }

    @Test("The message encoder compresses messages of 64 octets and more, and leaves shorter ones alone")
    func threshold() {
        var encoder = WebSocketMessageEncoder(role: .server, deflate: PerMessageDeflateParameters())
        let short = encoder.encode(.text(String(repeating: "a", count: 63)))
        let long = encoder.encode(.text(String(repeating: "a", count: 64)))
        #expect(short[0] == 0x81 && short.count == 65)
        #expect(long[0] == 0xC1 && long.count < 20)
        var plain = WebSocketMessageEncoder(role: .server)
        #expect(plain.encode(.text(String(repeating: "a", count: 640)))[0] == 0x81)
    }

    @Test(
        "Off the reactor: compressed frames from 1 KiB, continuations of a compressed message included; others from 64 KiB"
    )
    func costlyFrames() throws {
        var assembler = WebSocketMessageAssembler(role: .client, deflate: PerMessageDeflateParameters())
        let kibibyte = [UInt8](repeating: 0, count: 1 << 10)
        #expect(!assembler.isCostly(frame(.binary, bytes: Array(kibibyte.dropLast()), compressed: true)))
        #expect(assembler.isCostly(frame(.binary, bytes: kibibyte, compressed: true)))
        #expect(!assembler.isCostly(frame(.continuation, bytes: kibibyte)))
        #expect(!assembler.isCostly(frame(.binary, bytes: kibibyte)))
        #expect(assembler.isCostly(frame(.binary, bytes: [UInt8](repeating: 0, count: 64 << 10))))
        let compressed = kibibyte.withUnsafeBytes {
            WebSocketDeflater(windowBits: 15, noContextTakeover: false).compress($0)
        }
        _ = try assembler.receive(frame(.binary, bytes: compressed, fin: false, compressed: true))
        #expect(assembler.isCostly(frame(.continuation, bytes: kibibyte)))
    }

    @Test("Off the reactor: messages to compress from 8 KiB, others from 64 KiB")
    func costlyMessages() {
        let compressing = WebSocketMessageEncoder(role: .client, deflate: PerMessageDeflateParameters())
        let plain = WebSocketMessageEncoder(role: .client)
        let eight = String(repeating: "a", count: 8 << 10)
        #expect(!compressing.isCostly(.text(String(eight.dropLast()))))
        #expect(compressing.isCostly(.text(eight)))
        #expect(compressing.isCostly(.binary(Array(eight.utf8))))
        #expect(!plain.isCostly(.text(eight)))
        #expect(!plain.isCostly(.binary([UInt8](repeating: 0, count: (64 << 10) - 1))))
        #expect(plain.isCostly(.binary([UInt8](repeating: 0, count: 64 << 10))))
    }

    /// Decodes server frames as a client with permessage-deflate, returning the messages.
    private func receive(
        _ wire: [UInt8], parameters: PerMessageDeflateParameters = PerMessageDeflateParameters()
    ) throws(WebSocketProtocolError) -> [WebSocketMessage] {
        let run = FrameRun(
            wire,
            decoder: WebSocketFrameDecoder(role: .client, compressionNegotiated: true, maxFramePayloadSize: 1 << 20))
        if let error = run.error { throw error }
        var assembler = WebSocketMessageAssembler(role: .client, deflate: parameters)
        var messages: [WebSocketMessage] = []
        for frame in run.frames {
            if case .message(let message) = try assembler.receive(frame) { messages.append(message) }
        }
        return messages
    }
}
