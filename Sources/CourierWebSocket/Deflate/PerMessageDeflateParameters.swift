/// The permessage-deflate parameters in effect on a connection once negotiated (RFC 7692 §7.1),
/// the same for both ends: each reads the ones about its own direction for compressing and the
/// others for decompressing.
package struct PerMessageDeflateParameters: Hashable, Sendable {
    /// The server starts every message it sends with an empty window.
    package var serverNoContextTakeover: Bool
    /// The client starts every message it sends with an empty window.
    package var clientNoContextTakeover: Bool
    /// The largest LZ77 window the server compresses with, in bits (8–15).
    package var serverMaxWindowBits: Int
    /// The largest LZ77 window the client compresses with, in bits (8–15).
    package var clientMaxWindowBits: Int

    package static let extensionName = "permessage-deflate"
    /// The window sizes RFC 7692 allows (§7.1.2).
    package static let windowBitsRange = 8...15

    package init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false, serverMaxWindowBits: Int = 15,
        clientMaxWindowBits: Int = 15
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The compressor for what `role` sends.
    func makeDeflater(for role: WebSocketRole) -> WebSocketDeflater {
        switch role {
        case .client: WebSocketDeflater(windowBits: clientMaxWindowBits, noContextTakeover: clientNoContextTakeover)
        case .server: WebSocketDeflater(windowBits: serverMaxWindowBits, noContextTakeover: serverNoContextTakeover)
        }
    }

    /// The decompressor for what `role` receives.
    func makeInflater(for role: WebSocketRole) -> WebSocketInflater {
        switch role {
        case .client: WebSocketInflater(windowBits: serverMaxWindowBits, noContextTakeover: serverNoContextTakeover)
        case .server: WebSocketInflater(windowBits: clientMaxWindowBits, noContextTakeover: clientNoContextTakeover)
        }
    }

    /// A window-bits value as RFC 7692 §7.1.2 writes it: "8" to "15", no sign, no leading zero.
    static func windowBits(_ value: String?, parameter: String) throws(PerMessageDeflateNegotiationError) -> Int {
        guard let value, let bits = Int(value), windowBitsRange.contains(bits), String(bits) == value else {
            throw .invalidValue(parameter: parameter, value: value)
        }
        return bits
    }
}
