import Courier
import CourierTestServer
import Testing

extension ProcessWide {
    @Suite("WebSocket descriptors")
    struct WebSocketDescriptorTests {
        @Test("Sockets closed normally, cancelled, dropped by the server, failed or refused leave no descriptor open")
        func noLeaks() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout(.seconds(60)) {
                let normal = try await ScriptedWebSocket.server {
                    ScriptedWebSocket.text("hi") + ScriptedWebSocket.close(1000)
                }
                let silent = try await ScriptedWebSocket.server(thenClose: false) { [] }
                let dropping = try await ScriptedWebSocket.server { ScriptedWebSocket.text("hi") }
                let failing = try await ScriptedWebSocket.server { ScriptedWebSocket.frame(0x1, [0xFF]) }
                let refusing = try await ScriptedWebSocket.server({ $0[2].1 = "wrong" }) { [] }
                let client = HTTPClient()
                for _ in 0..<20 {
                    for server in [normal, dropping, failing] {
                        let socket = try await client.webSocket(HTTPRequest(url: server.url("/")))
                        _ = try? await socket.messages.collected()
                        try await socket.close()  // after the end, waits until the descriptor is closed
                    }
                    let open = try await client.webSocket(HTTPRequest(url: silent.url("/")))
                    let reader = Task { for try await _ in open.messages {} }
                    reader.cancel()
                    _ = await reader.result
                    try await open.close()
                    let cancelled = try await client.webSocket(HTTPRequest(url: silent.url("/")))
                    cancelled.cancel()
                    try await cancelled.close()
                    _ = try? await client.webSocket(HTTPRequest(url: refusing.url("/")))
                }
                for server in [normal, silent, dropping, failing, refusing] {
                    await server.connectionsClosed()
                    await server.shutdown()
                }
                await client.shutdown()
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }
    }
}

extension AsyncSequence where Self: Sendable, Element: Sendable {
    /// Every element, in order.
    fileprivate func collected() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
