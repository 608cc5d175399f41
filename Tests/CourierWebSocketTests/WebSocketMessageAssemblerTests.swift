import CourierCore
import Testing

@testable import CourierWebSocket

/// Frames into messages: fragments joined, control frames between them, sequencing errors,
/// the size cap and text checked as fragments arrive.
@Suite("WebSocket messages: assembly")
struct WebSocketMessageAssemblerTests {
    @Test("Unfragmented text and binary messages")
    func singleFrames() throws {
        var assembler = WebSocketMessageAssembler(role: .client)
        #expect(try assembler.receive(frame(.text, "Hello")) == .message(.text("Hello")))
        #expect(try assembler.receive(frame(.binary, bytes: [1, 2, 3])) == .message(.binary([1, 2, 3])))
        #expect(try assembler.receive(frame(.text, "")) == .message(.text("")))
        #expect(try assembler.receive(frame(.binary, bytes: [])) == .message(.binary([])))
    }

    @Test("Fragments are joined, with control frames between them handed over at once")
    func fragmentsWithControlFrames() throws {
        var assembler = WebSocketMessageAssembler(role: .client)
        #expect(try assembler.receive(frame(.text, "Hel", fin: false)) == nil)
        #expect(try assembler.receive(frame(.ping, "p")) == .ping(ByteBuffer(string: "p")))
        #expect(try assembler.receive(frame(.continuation, "", fin: false)) == nil)
        #expect(try assembler.receive(frame(.pong, "q")) == .pong(ByteBuffer(string: "q")))
        #expect(try assembler.receive(frame(.continuation, "lo")) == .message(.text("Hello")))
        #expect(try assembler.receive(frame(.binary, bytes: [1], fin: false)) == nil)
        #expect(try assembler.receive(frame(.continuation, bytes: [2])) == .message(.binary([1, 2])))
    }

    @Test("A text frame still arriving fails at its first invalid octet; a valid one is checked again whole")
    func arrivingText() throws {
        func header(_ opcode: WebSocketOpcode, length: Int) -> WebSocketFrameHeader {
            WebSocketFrameHeader(
                fin: true, reservedBits: 0, opcode: opcode, maskKey: nil, payloadLength: UInt64(length))
        }
        var assembler = WebSocketMessageAssembler(role: .client)
        let valid = Array("héllo".utf8)
        for end in 1...valid.count - 1 {
            try valid.withUnsafeBytes {
                try assembler.checkArriving(
                    header(.text, length: valid.count), arrived: UnsafeRawBufferPointer(rebasing: $0[..<end]))
            }
        }
        #expect(try assembler.receive(frame(.text, bytes: valid)) == .message(.text("héllo")))

        let invalid: [UInt8] = [0x61, 0x62, 0xFF, 0x63]
        #expect(throws: WebSocketProtocolError.invalidUTF8) {
            try invalid.withUnsafeBytes {
                try assembler.checkArriving(
                    header(.text, length: 10), arrived: UnsafeRawBufferPointer(rebasing: $0[...]))
            }
        }
        // Binary frames, and compressed ones, are not looked into before they are whole.
        var other = WebSocketMessageAssembler(role: .client)
        try invalid.withUnsafeBytes { try other.checkArriving(header(.binary, length: 10), arrived: $0) }
    }

    @Test("A character split across fragments is whole in the message")
    func characterAcrossFragments() throws {
        var assembler = WebSocketMessageAssembler(role: .server)
        #expect(try assembler.receive(frame(.text, bytes: [0xF0, 0x9F], fin: false)) == nil)
        #expect(try assembler.receive(frame(.continuation, bytes: [0x98], fin: false)) == nil)
        #expect(try assembler.receive(frame(.continuation, bytes: [0x80])) == .message(.text("😀")))
    }

    @Test("A close frame in the middle of a message is handed over, parsed")
    func closeBetweenFragments() throws {
        var assembler = WebSocketMessageAssembler(role: .client)
        _ = try assembler.receive(frame(.text, "a", fin: false))
        let close = try assembler.receive(frame(.close, bytes: [0x03, 0xE9] + Array("away".utf8)))
        #expect(close == .close(WebSocketClosePayload(code: .goingAway, reason: "away")))
        #expect(try assembler.receive(frame(.close, bytes: [])) == .close(.empty))
    }

    @Test("A continuation with no message open is 1002")
    func continuationWithoutStart() {
        var assembler = WebSocketMessageAssembler(role: .client)
        #expect(throws: WebSocketProtocolError.unexpectedContinuation) {
            try assembler.receive(frame(.continuation, "x"))
        }
        var afterMessage = WebSocketMessageAssembler(role: .client)
        _ = try? afterMessage.receive(frame(.text, "done"))
        let error = #expect(throws: WebSocketProtocolError.self) { try afterMessage.receive(frame(.continuation, "x")) }
        #expect(error?.closeCode == .protocolError)
    }

    @Test("A new data frame while a message is open is 1002", arguments: [WebSocketOpcode.text, .binary])
    func newMessageWhileOpen(opcode: WebSocketOpcode) {
        var assembler = WebSocketMessageAssembler(role: .client)
        _ = try? assembler.receive(frame(.binary, bytes: [1], fin: false))
        let error = #expect(throws: WebSocketProtocolError.self) { try assembler.receive(frame(opcode, "x")) }
        #expect(error == .expectedContinuation(opcode) && error?.closeCode == .protocolError)
    }

    @Test("Messages up to the cap pass; one octet more is 1009, single or fragmented")
    func sizeCap() throws {
        var assembler = WebSocketMessageAssembler(role: .client, maxMessageSize: 10)
        #expect(try assembler.receive(frame(.binary, bytes: Array(repeating: 7, count: 10))) != nil)
        let single = #expect(throws: WebSocketProtocolError.self) {
            try assembler.receive(frame(.binary, bytes: Array(repeating: 7, count: 11)))
        }
        #expect(single == .messageTooLarge(limit: 10) && single?.closeCode == .messageTooBig)
        var fragmented = WebSocketMessageAssembler(role: .client, maxMessageSize: 10)
        #expect(try fragmented.receive(frame(.text, "12345", fin: false)) == nil)
        #expect(try fragmented.receive(frame(.continuation, "67890", fin: false)) == nil)
        let error = #expect(throws: WebSocketProtocolError.self) { try fragmented.receive(frame(.continuation, "1")) }
        #expect(error?.closeCode == .messageTooBig)
        #expect(WebSocketMessageAssembler(role: .client).maxMessageSize == 16 << 20)
    }

    @Test("Invalid text fails with 1007 on the fragment that holds the bad octet, before the message ends")
    func invalidTextFailsEarly() throws {
        var assembler = WebSocketMessageAssembler(role: .client)
        #expect(try assembler.receive(frame(.text, "κόσμε", fin: false)) == nil)
        let error = #expect(throws: WebSocketProtocolError.self) {
            try assembler.receive(frame(.continuation, bytes: [0xED, 0xA0, 0x80], fin: false))
        }
        #expect(error == .invalidUTF8 && error?.closeCode == .invalidFramePayloadData)
    }

    @Test("Text ending in a truncated sequence fails with 1007 at the last fragment")
    func truncatedText() throws {
        var assembler = WebSocketMessageAssembler(role: .client)
        #expect(try assembler.receive(frame(.text, bytes: [0x61, 0xE2, 0x82], fin: false)) == nil)
        #expect(throws: WebSocketProtocolError.invalidUTF8) { try assembler.receive(frame(.continuation, bytes: [])) }
        var single = WebSocketMessageAssembler(role: .client)
        #expect(throws: WebSocketProtocolError.invalidUTF8) { try single.receive(frame(.text, bytes: [0xC3])) }
    }

    @Test("Binary messages are not checked as text")
    func binaryIsNotText() throws {
        var assembler = WebSocketMessageAssembler(role: .client)
        #expect(try assembler.receive(frame(.binary, bytes: [0xFF, 0xC0])) == .message(.binary([0xFF, 0xC0])))
    }

    @Test("A compressed frame without permessage-deflate negotiated is 1002")
    func compressedWithoutDeflate() {
        var assembler = WebSocketMessageAssembler(role: .client)
        let error = #expect(throws: WebSocketProtocolError.self) {
            try assembler.receive(frame(.text, "x", compressed: true))
        }
        #expect(error?.closeCode == .protocolError)
    }

    @Test("An invalid close payload fails with its close code")
    func invalidClose() {
        var assembler = WebSocketMessageAssembler(role: .client)
        let error = #expect(throws: WebSocketProtocolError.self) { try assembler.receive(frame(.close, bytes: [0x03])) }
        #expect(error == .closePayloadTooShort && error?.closeCode == .protocolError)
    }

    @Test("Messages encoded by one end and decoded by the other are the same messages", arguments: [false, true])
    func encoderToAssembler(deflate: Bool) throws {
        let parameters: PerMessageDeflateParameters? = deflate ? PerMessageDeflateParameters() : nil
        var encoder = WebSocketMessageEncoder(role: .client, deflate: parameters, maxFramePayloadSize: 1000)
        let decoder = WebSocketFrameDecoder(role: .server, compressionNegotiated: deflate, maxFramePayloadSize: 1 << 20)
        var assembler = WebSocketMessageAssembler(role: .server, deflate: parameters)
        let messages: [WebSocketMessage] = [
            .text("short"), .text(String(repeating: "a longer message that compresses ", count: 200)),
            .binary(randomBytes(5000, seed: 5)), .binary([]), .text("ünïcödé " + String(repeating: "😀", count: 600)),
        ]
        var received: [WebSocketMessage] = []
        for message in messages {
            for frame in FrameRun(encoder.encode(message), decoder: decoder).frames {
                if case .message(let message) = try assembler.receive(frame) { received.append(message) }
            }
        }
        #expect(received == messages)
    }
}
