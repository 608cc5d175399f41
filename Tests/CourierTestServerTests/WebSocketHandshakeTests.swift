import CourierCore
import CourierTestServer
import CourierWebSocket
import Testing

/// The opening handshake's rules (RFC 6455 §4.2.1, §4.2.2), without a socket.
@Suite struct WebSocketHandshakeTests {
    private static let valid: HTTPHeaders = [
        "Host": "server.example.com", "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
    ]

    private func rejection(
        method: HTTPMethod = .get, version: HTTPVersion = .http1_1, _ edit: (inout HTTPHeaders) -> Void
    ) -> ServerWebSocketHandshake.Rejection? {
        var headers = Self.valid
        edit(&headers)
        do {
            _ = try ServerWebSocketHandshake.validate(method: method, version: version, headers: headers)
            return nil
        } catch {
            return error
        }
    }

    @Test func validHandshakeYieldsTheKey() throws {
        let key = try ServerWebSocketHandshake.validate(method: .get, version: .http1_1, headers: Self.valid)
        #expect(key.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func tokensAreMatchedWithoutCaseAndInLists() throws {
        var headers = Self.valid
        headers["Upgrade"] = "WebSocket"
        headers["Connection"] = "keep-alive, UPGRADE"
        _ = try ServerWebSocketHandshake.validate(method: .get, version: .http1_1, headers: headers)
    }

    @Test func eachMissingOrWrongPartIsA400() {
        #expect(rejection(method: .post) { _ in }?.status.code == 400)
        #expect(rejection(version: .http1_0) { _ in }?.status.code == 400)
        #expect(rejection { $0.remove("Host") }?.status.code == 400)
        #expect(rejection { $0["Upgrade"] = "h2c" }?.status.code == 400)
        #expect(rejection { $0["Connection"] = "keep-alive" }?.status.code == 400)
        #expect(rejection { $0.remove("Sec-WebSocket-Key") }?.status.code == 400)
        #expect(rejection { $0["Sec-WebSocket-Key"] = "c2hvcnQ=" }?.status.code == 400)
        #expect(rejection { $0.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==") }?.status.code == 400)
        #expect(rejection { $0.remove("Sec-WebSocket-Version") }?.status.code == 400)
    }

    @Test func anotherVersionIsA426NamingVersion13() {
        let refused = rejection { $0["Sec-WebSocket-Version"] = "8" }
        #expect(refused?.status.code == 426)
        #expect(refused?.headers["Sec-WebSocket-Version"] == "13")
    }

    @Test func answerAcceptsTheKeyAndChoosesOnlyAnOfferedSubprotocol() {
        let key = WebSocketKey(value: "dGhlIHNhbXBsZSBub25jZQ==")
        var offered = Self.valid
        offered.add("Sec-WebSocket-Protocol", "superchat, chat")
        let chosen = ServerWebSocketHandshake.answer(
            key: key, requestHeaders: offered, subprotocol: "chat", deflate: true)
        #expect(chosen.headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(chosen.headers["Upgrade"] == "websocket")
        #expect(chosen.headers["Connection"] == "Upgrade")
        #expect(chosen.subprotocol == "chat")
        #expect(chosen.headers["Sec-WebSocket-Protocol"] == "chat")
        let unoffered = ServerWebSocketHandshake.answer(
            key: key, requestHeaders: Self.valid, subprotocol: "chat", deflate: true)
        #expect(unoffered.subprotocol == nil)
        #expect(!unoffered.headers.contains("Sec-WebSocket-Protocol"))
        #expect(unoffered.deflate == nil)
    }

    @Test func deflateIsAnsweredOnlyWhenOfferedAndAllowed() {
        let key = WebSocketKey(value: "dGhlIHNhbXBsZSBub25jZQ==")
        var offered = Self.valid
        offered["Sec-WebSocket-Extensions"] = "permessage-deflate; client_max_window_bits; server_no_context_takeover"
        let accepted = ServerWebSocketHandshake.answer(
            key: key, requestHeaders: offered, subprotocol: nil, deflate: true)
        #expect(accepted.extensions == "permessage-deflate; server_no_context_takeover")
        #expect(accepted.headers["Sec-WebSocket-Extensions"] == accepted.extensions)
        #expect(accepted.deflate?.serverNoContextTakeover == true)
        let declined = ServerWebSocketHandshake.answer(
            key: key, requestHeaders: offered, subprotocol: nil, deflate: false)
        #expect(declined.extensions == nil)
        #expect(!declined.headers.contains("Sec-WebSocket-Extensions"))
    }

    @Test func extendedConnectNeedsTheWebSocketProtocolAndVersion13() throws {
        let headers: HTTPHeaders = ["Host": "server.example.com", "Sec-WebSocket-Version": "13"]
        try ServerWebSocketHandshake.validateExtendedConnect(protocol: "websocket", headers: headers)
        #expect(throws: ServerWebSocketHandshake.Rejection.self) {
            try ServerWebSocketHandshake.validateExtendedConnect(protocol: "h2t", headers: headers)
        }
        #expect(throws: ServerWebSocketHandshake.Rejection.self) {
            try ServerWebSocketHandshake.validateExtendedConnect(protocol: "websocket", headers: ["Host": "a"])
        }
        do {
            try ServerWebSocketHandshake.validateExtendedConnect(
                protocol: "websocket", headers: ["Sec-WebSocket-Version": "8"])
            Issue.record("version 8 accepted")
        } catch {
            #expect(error.status.code == 426 && error.headers["Sec-WebSocket-Version"] == "13")
        }
    }

    @Test func anHTTP2AnswerHasNoUpgradeFieldsAndNoAccept() {
        var offered = Self.valid
        offered.remove("Sec-WebSocket-Key")
        offered["Sec-WebSocket-Protocol"] = "chat"
        let answer = ServerWebSocketHandshake.answer(
            key: nil, requestHeaders: offered, subprotocol: "chat", deflate: true)
        #expect(answer.headers.fields.map(\.name) == ["Sec-WebSocket-Protocol"])
    }
}
