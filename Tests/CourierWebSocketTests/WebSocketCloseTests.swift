import CourierCore
import Testing

@testable import CourierWebSocket

/// Close frames: which codes and reasons a received one may carry (RFC 6455 §5.5.1, §7.4), and
/// how one is built.
@Suite("WebSocket close payloads")
struct WebSocketClosePayloadTests {
    /// Received codes and whether they are valid.
    static let codes: [(UInt16, Bool)] = [
        (0, false), (999, false), (1000, true), (1001, true), (1002, true), (1003, true), (1004, false),
        (1005, false), (1006, false), (1007, true), (1008, true), (1009, true), (1010, true), (1011, true),
        (1012, true), (1013, true), (1014, true), (1015, false), (1016, false), (1100, false), (2000, false),
        (2999, false), (3000, true), (3999, true), (4000, true), (4999, true), (5000, false), (65535, false),
    ]

    @Test("Status codes: valid ones parse, the others are 1002", arguments: codes)
    func statusCodes(code: UInt16, valid: Bool) {
        let payload = ByteBuffer([UInt8(code >> 8), UInt8(code & 0xFF)])
        if valid {
            #expect((try? WebSocketClosePayload(parsing: payload))?.code?.rawValue == code)
        } else {
            let error = #expect(throws: WebSocketProtocolError.self) { try WebSocketClosePayload(parsing: payload) }
            #expect(error == .invalidCloseCode(code) && error?.closeCode == .protocolError)
        }
        #expect(WebSocketCloseCode(rawValue: code).mayBeSent == valid)
    }

    @Test("An empty payload is a close without a code; one octet is 1002")
    func lengths() throws {
        #expect(try WebSocketClosePayload(parsing: ByteBuffer()) == .empty)
        #expect(WebSocketClosePayload.empty.code == nil && WebSocketClosePayload.empty.bytes.isEmpty)
        let error = #expect(throws: WebSocketProtocolError.self) {
            try WebSocketClosePayload(parsing: ByteBuffer([0x03]))
        }
        #expect(error == .closePayloadTooShort && error?.closeCode == .protocolError)
    }

    @Test("The reason must be valid UTF-8, else 1007")
    func reasons() throws {
        let valid = try WebSocketClosePayload(parsing: ByteBuffer([0x03, 0xE8] + Array("adiós 👋".utf8)))
        #expect(valid.code == .normalClosure && valid.reason == "adiós 👋")
        for reason: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x61, 0xF4, 0x90, 0x80, 0x80]] {
            let error = #expect(throws: WebSocketProtocolError.self) {
                try WebSocketClosePayload(parsing: ByteBuffer([0x03, 0xE8] + reason))
            }
            #expect(error == .invalidCloseReason && error?.closeCode == .invalidFramePayloadData)
        }
    }

    @Test("A built payload is the code in network order and the reason, cut at a scalar to 123 octets")
    func building() throws {
        #expect(WebSocketClosePayload(code: .normalClosure, reason: "bye").bytes == [0x03, 0xE8, 0x62, 0x79, 0x65])
        #expect(WebSocketClosePayload(code: WebSocketCloseCode(rawValue: 4321), reason: "").bytes == [0x10, 0xE1])
        let fits = String(repeating: "a", count: 123)
        #expect(WebSocketClosePayload(code: .goingAway, reason: fits).reason == fits)
        // 122 ASCII octets and a 2-octet "é" do not fit: the "é" goes whole.
        let long = WebSocketClosePayload(code: .goingAway, reason: String(repeating: "a", count: 122) + "é")
        #expect(long.reason == String(repeating: "a", count: 122) && long.bytes.count == 124)
        let emoji = WebSocketClosePayload(code: .goingAway, reason: String(repeating: "😀", count: 40))
        #expect(emoji.reason == String(repeating: "😀", count: 30) && emoji.bytes.count == 122)
        // What is built parses back.
        #expect(try WebSocketClosePayload(parsing: ByteBuffer(emoji.bytes)) == emoji)
    }

    @Test("The named codes have their RFC 6455 and IANA values")
    func namedCodes() {
        let named: [(WebSocketCloseCode, UInt16)] = [
            (.normalClosure, 1000), (.goingAway, 1001), (.protocolError, 1002), (.unsupportedData, 1003),
            (.noStatusReceived, 1005), (.abnormalClosure, 1006), (.invalidFramePayloadData, 1007),
            (.policyViolation, 1008), (.messageTooBig, 1009), (.mandatoryExtension, 1010),
            (.internalServerError, 1011), (.serviceRestart, 1012), (.tryAgainLater, 1013), (.badGateway, 1014),
            (.tlsHandshakeFailure, 1015),
        ]
        for (code, value) in named { #expect(code.rawValue == value) }
    }
}

/// The closing handshake as a value: events in, actions out, time stepped by a manual clock.
@Suite("WebSocket close handshake")
struct WebSocketCloseStateTests {
    private let bye = WebSocketClosePayload(code: .normalClosure, reason: "bye")
    private let away = WebSocketClosePayload(code: .goingAway, reason: "server restarting")

    @Test("Client closes first: close sent, the server's close ends the messages, then the server closes TCP")
    func clientClosesFirst() {
        var clock = ManualClock()
        var state = WebSocketCloseState(role: .client)
        #expect(state.canSendMessages)
        #expect(
            state.closeRequested(bye, now: clock.now) == [
                .sendClose(bye), .startTimer(deadline: clock.now + .seconds(60)),
            ])
        #expect(!state.canSendMessages)
        #expect(state.closeRequested(away, now: clock.now) == [])
        clock.advance(by: .milliseconds(30))
        let echo = WebSocketClosePayload(code: .normalClosure, reason: "")
        #expect(
            state.closeFrameReceived(echo, now: clock.now) == [
                .finishMessages(.closed(echo)), .startTimer(deadline: clock.now + .seconds(2)),
            ])
        #expect(state.state == .closeReceived(deadline: clock.now + .seconds(2)))
        // The first timer, replaced, fires late and changes nothing; the server then closes TCP.
        #expect(state.timerFired(now: clock.now + .milliseconds(1)) == [])
        #expect(state.connectionClosed() == [.closeConnection])
        #expect(state.state == .closed)
        #expect(state.timerFired(now: clock.now + .seconds(100)) == [])
    }

    @Test("Server closes first: the client echoes the code, ends the messages normally, and waits for TCP")
    func serverClosesFirst() {
        let clock = ManualClock()
        var state = WebSocketCloseState(role: .client)
        let reply = WebSocketClosePayload(code: .goingAway, reason: "")
        #expect(
            state.closeFrameReceived(away, now: clock.now) == [
                .sendClose(reply), .finishMessages(.closed(away)), .startTimer(deadline: clock.now + .seconds(2)),
            ])
        #expect(!state.canSendMessages)
        #expect(state.closeRequested(bye, now: clock.now) == [])
        #expect(state.closeFrameReceived(away, now: clock.now) == [])
        #expect(state.connectionClosed() == [.closeConnection])
    }

    @Test("A close frame without a code is answered with an empty one")
    func emptyClose() {
        let clock = ManualClock()
        var state = WebSocketCloseState(role: .client)
        let actions = state.closeFrameReceived(.empty, now: clock.now)
        #expect(actions.first == .sendClose(.empty))
    }

    @Test("A server that never closes TCP is given tcpCloseTimeout, then the client closes")
    func serverNeverClosesTCP() {
        var clock = ManualClock()
        var state = WebSocketCloseState(role: .client, tcpCloseTimeout: .seconds(1))
        _ = state.closeRequested(bye, now: clock.now)
        _ = state.closeFrameReceived(bye, now: clock.now)
        clock.advance(by: .milliseconds(999))
        #expect(state.timerFired(now: clock.now) == [])
        clock.advance(by: .milliseconds(1))
        #expect(state.timerFired(now: clock.now) == [.closeConnection])
        #expect(state.state == .closed)
        #expect(state.connectionClosed() == [])
    }

    @Test("A peer that never answers the close frame is given closeTimeout: then 1006")
    func peerNeverAnswers() {
        var clock = ManualClock()
        var state = WebSocketCloseState(role: .client, closeTimeout: .seconds(5))
        _ = state.closeRequested(bye, now: clock.now)
        clock.advance(by: .seconds(4))
        #expect(state.timerFired(now: clock.now) == [])
        clock.advance(by: .seconds(1))
        let actions = state.timerFired(now: clock.now)
        #expect(actions.first == .closeConnection)
        guard case .finishMessages(.failed(let code, _)) = actions.last else {
            Issue.record("no failed ending: \(actions)")
            return
        }
        #expect(code == .abnormalClosure && actions.count == 2)
        #expect(state.closeFrameReceived(bye, now: clock.now) == [])
    }

    @Test("The server closes TCP at once when the handshake is done, whoever began it")
    func serverRole() {
        let clock = ManualClock()
        var first = WebSocketCloseState(role: .server)
        let reply = WebSocketClosePayload(code: .normalClosure, reason: "")
        #expect(
            first.closeFrameReceived(bye, now: clock.now) == [
                .sendClose(reply), .finishMessages(.closed(bye)), .closeConnection,
            ])
        #expect(first.state == .closed)
        var second = WebSocketCloseState(role: .server)
        _ = second.closeRequested(away, now: clock.now)
        #expect(
            second.closeFrameReceived(reply, now: clock.now) == [.finishMessages(.closed(reply)), .closeConnection])
    }

    @Test("A protocol error while open sends its close code, closes TCP at once and fails the messages")
    func protocolErrorWhileOpen() {
        var state = WebSocketCloseState(role: .client)
        let error = WebSocketProtocolError.invalidUTF8
        #expect(
            state.failed(error) == [
                .sendClose(WebSocketClosePayload(code: .invalidFramePayloadData, reason: error.description)),
                .closeConnection, .finishMessages(.failed(.invalidFramePayloadData, reason: error.description)),
            ])
        #expect(state.state == .closed)
        #expect(state.failed(.unmaskedFrame) == [] && state.connectionClosed() == [])
    }

    @Test("A protocol error after our close frame sends no second close")
    func protocolErrorAfterClose() {
        let clock = ManualClock()
        var state = WebSocketCloseState(role: .client)
        _ = state.closeRequested(bye, now: clock.now)
        let error = WebSocketProtocolError.messageTooLarge(limit: 10)
        #expect(
            state.failed(error) == [
                .closeConnection, .finishMessages(.failed(.messageTooBig, reason: error.description)),
            ])
        var done = WebSocketCloseState(role: .client)
        _ = done.closeFrameReceived(bye, now: clock.now)
        #expect(done.failed(error) == [.closeConnection])
    }

    @Test("TCP lost before the handshake is an abnormal closure (1006)", arguments: [false, true])
    func connectionLost(afterClose: Bool) {
        let clock = ManualClock()
        var state = WebSocketCloseState(role: .client)
        if afterClose { _ = state.closeRequested(bye, now: clock.now) }
        let actions = state.connectionClosed()
        #expect(actions.count == 2 && actions.first == .closeConnection)
        guard case .finishMessages(.failed(let code, _)) = actions.last else {
            Issue.record("no failed ending: \(actions)")
            return
        }
        #expect(code == .abnormalClosure && state.state == .closed && !state.canSendMessages)
    }
}
