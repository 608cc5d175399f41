import CourierWebSocket
import Testing

@Suite("WebSocket handshake key")
struct WebSocketKeyTests {
    @Test("The accept value is RFC 6455's example")
    func rfcExample() {
        // RFC 6455 §1.3.
        #expect(WebSocketKey(value: "dGhlIHNhbXBsZSBub25jZQ==").accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test("Random keys are 16 bytes of base64 and differ")
    func random() {
        let keys = (0..<32).map { _ in WebSocketKey.random() }
        #expect(keys.allSatisfy { $0.isWellFormed })
        #expect(Set(keys).count == keys.count)
        #expect(!WebSocketKey(value: "c2hvcnQ=").isWellFormed)
        #expect(!WebSocketKey(value: "not base64!").isWellFormed)
    }
}
