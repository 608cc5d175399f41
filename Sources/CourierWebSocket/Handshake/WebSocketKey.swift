import CCourierOpenSSL
import FoundationEssentials

/// The `Sec-WebSocket-Key` / `Sec-WebSocket-Accept` pair of the opening handshake (RFC 6455
/// §4.1, §4.2.2): the client sends 16 random bytes in base64, and the server proves it read them
/// as a WebSocket server by hashing them with a fixed GUID. Both roles compute the answer.
package struct WebSocketKey: Hashable, Sendable {
    package let value: String

    package init(value: String) {
        self.value = value
    }

    /// A fresh key: 16 bytes from the system's cryptographic generator.
    package static func random() -> WebSocketKey {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return WebSocketKey(value: Data(bytes).base64EncodedString())
    }

    /// Whether the client's key is well formed: base64 of exactly 16 bytes (§4.2.1 item 4).
    package var isWellFormed: Bool {
        Data(base64Encoded: value)?.count == 16
    }

    /// The `Sec-WebSocket-Accept` value the server must answer with.
    package var accept: String {
        let input = Array((value + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_Digest(input, input.count, &digest, &length, EVP_sha1(), nil)
        return Data(digest.prefix(Int(length))).base64EncodedString()
    }
}
