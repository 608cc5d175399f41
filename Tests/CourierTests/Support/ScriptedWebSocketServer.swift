import Courier
import CourierTestServer
import CourierWebSocket
import Synchronization

/// A test server that accepts WebSocket handshakes by hand and then writes whatever frames a
/// test scripts, valid or not, without reading the client's frames: for what the client does
/// with what a server sends. (`answer` may change the 101's headers to break the handshake.)
enum ScriptedWebSocket {
    /// A 101 for `request`, with `headers` changed by `answer`.
    static func switchingProtocols(
        to request: RecordedRequest, _ answer: (inout [(String, String)]) -> Void = { _ in }
    ) -> [UInt8] {
        let key = WebSocketKey(value: request.headers["Sec-WebSocket-Key"] ?? "")
        var headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", key.accept)]
        answer(&headers)
        let head = "HTTP/1.1 101 Switching Protocols\r\n" + headers.map { "\($0): \($1)\r\n" }.joined() + "\r\n"
        return Array(head.utf8)
    }

    /// One unmasked frame as a server sends it; `first` overrides the first octet (FIN, RSV, opcode).
    static func frame(
        _ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, masked: Bool = false
    )
        -> [UInt8]
    {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | rsv | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126: bytes.append(maskBit | UInt8(payload.count))
        case ..<65_536: bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            bytes += [maskBit | 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) }
        }
        if masked { bytes += [0, 0, 0, 0] }  // a zero mask leaves the payload as it is
        return bytes + payload
    }

    static func text(_ string: String) -> [UInt8] { frame(0x1, Array(string.utf8)) }

    static func close(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        frame(0x8, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    /// A server that answers every handshake with a 101 (changed by `answer`) followed by
    /// `frames`, then closes the connection (`thenClose`) or keeps writing pings until the client
    /// goes away.
    static func server(
        tls: TestServer.TLS? = nil,
        _ answer: @escaping @Sendable (inout [(String, String)]) -> Void = { _ in },
        thenClose: Bool = true,
        frames: @escaping @Sendable () -> [UInt8]
    ) async throws -> TestServer {
        // The script is HTTP/1.1's bytes: ALPN offers nothing else, so a client that also offers
        // h2 upgrades over HTTP/1.1.
        try await TestServer(tls: tls, protocols: [.http1_1]) { request in
            var response = MockResponse(rawProducer: { writer in
                try await writer.write(switchingProtocols(to: request, answer) + frames())
                guard !thenClose else { return }
                // Until the client closes: a failed write ends the connection.
                while true {
                    try await Task.sleep(for: .milliseconds(20))
                    try await writer.write(frame(0x9, []))
                }
            })
            response.socketPolicy = .closeAfterResponse
            return response
        }
    }
}
