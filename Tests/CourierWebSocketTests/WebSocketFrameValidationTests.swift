import CourierCore
import Testing

@testable import CourierWebSocket

/// Every framing rule the decoder checks, each with the close code that fails the connection.
@Suite("WebSocket frames: validation")
struct WebSocketFrameValidationTests {
    private let client = WebSocketFrameDecoder(role: .client, maxFramePayloadSize: 1024)
    private let deflateClient = WebSocketFrameDecoder(
        role: .client, compressionNegotiated: true, maxFramePayloadSize: 1024)

    @Test(
        "Reserved bits no extension allows are protocol errors",
        arguments: [
            (UInt8(0xC1), false, UInt8(0b100)), (0xA1, false, 0b010), (0x91, false, 0b001), (0xA1, true, 0b010),
            (0x91, true, 0b001), (0xF2, true, 0b111),
        ])
    func reservedBits(first: UInt8, deflate: Bool, bits: UInt8) {
        let error = FrameRun(rawFrame(first, [0x61]), decoder: deflate ? deflateClient : client).error
        #expect(error == .reservedBits(bits, opcode: WebSocketOpcode(rawValue: first & 0x0F)!))
        #expect(error?.closeCode == .protocolError)
    }

    @Test("RSV1 with permessage-deflate is allowed on a message's first frame only")
    func compressedBitPlacement() {
        #expect(FrameRun(rawFrame(0xC1, [0x61]), decoder: deflateClient).error == nil)
        #expect(FrameRun(rawFrame(0x42, [0x61]), decoder: deflateClient).error == nil)
        for (first, opcode) in [
            (UInt8(0xC0), WebSocketOpcode.continuation), (0xC9, .ping), (0xCA, .pong), (0xC8, .close),
        ] {
            let error = FrameRun(rawFrame(first), decoder: deflateClient).error
            #expect(error == .compressedBitMisplaced(opcode))
            #expect(error?.closeCode == .protocolError)
        }
    }

    @Test("Reserved opcodes are protocol errors, seen from the first byte", arguments: [3, 4, 5, 6, 7, 0xB, 0xC, 0xF])
    func unknownOpcodes(opcode: UInt8) {
        let error = FrameRun([0x80 | opcode], decoder: client).error
        #expect(error == .unknownOpcode(opcode) && error?.closeCode == .protocolError)
    }

    @Test("Control frames over 125 bytes are protocol errors, seen from the header")
    func longControlFrames() {
        for opcode in [WebSocketOpcode.ping, .pong, .close] {
            #expect(
                FrameRun(rawFrame(0x80 | opcode.rawValue, [UInt8](repeating: 0, count: 125)), decoder: client).error
                    == nil)
            let header = Array(rawFrame(0x80 | opcode.rawValue, [UInt8](repeating: 0, count: 126)).prefix(4))
            let error = FrameRun(header, decoder: client).error
            #expect(error == .controlFrameTooLong(opcode, length: 126) && error?.closeCode == .protocolError)
        }
    }

    @Test("Fragmented control frames are protocol errors")
    func fragmentedControlFrames() {
        for opcode in [WebSocketOpcode.ping, .pong, .close] {
            let error = FrameRun(rawFrame(opcode.rawValue, []), decoder: client).error
            #expect(error == .fragmentedControlFrame(opcode) && error?.closeCode == .protocolError)
        }
    }

    @Test("A server must receive masked frames, a client unmasked ones")
    func maskingByRole() {
        let server = WebSocketFrameDecoder(role: .server, maxFramePayloadSize: 1024)
        let unmasked = FrameRun(rawFrame(0x81, [0x61]), decoder: server).error
        #expect(unmasked == .unmaskedFrame && unmasked?.closeCode == .protocolError)
        let masked = FrameRun(rawFrame(0x81, mask: 1, [0x61]), decoder: client).error
        #expect(masked == .maskedFrame && masked?.closeCode == .protocolError)
    }

    @Test("A 64-bit length with its top bit set is a protocol error")
    func lengthTopBit() {
        let header: [UInt8] = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]
        let error = FrameRun(header, decoder: client).error
        #expect(error == .lengthOutOfRange && error?.closeCode == .protocolError)
        let huge = WebSocketFrameDecoder(role: .client, maxFramePayloadSize: .max)
        #expect(FrameRun([0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], decoder: huge).error == nil)
    }

    @Test("A frame over the size limit is 1009 from its header alone, before its payload arrives")
    func frameTooLarge() {
        #expect(FrameRun(rawFrame(0x82, [UInt8](repeating: 0, count: 1024)), decoder: client).error == nil)
        let header = Array(rawFrame(0x82, [UInt8](repeating: 0, count: 1025)).prefix(4))
        let error = FrameRun(header, decoder: client).error
        #expect(error == .frameTooLarge(length: 1025, limit: 1024) && error?.closeCode == .messageTooBig)
        let announced = FrameRun([0x82, 0x7F, 0x3F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], decoder: client).error
        #expect(announced?.closeCode == .messageTooBig)
    }

    @Test("Frames before an invalid one are delivered; nothing after it is")
    func framesBeforeTheError() {
        let bytes = rawFrame(0x81, Array("ok".utf8)) + rawFrame(0x83) + rawFrame(0x81, Array("no".utf8))
        let run = FrameRun(bytes, decoder: client)
        #expect(run.frames == [frame(.text, "ok")] && run.error == .unknownOpcode(3))
    }
}
