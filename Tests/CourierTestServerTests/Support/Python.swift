import CourierTestServer
import Foundation

/// Runs a Python script with Debian's `/usr/bin/python3`, where `python3-websockets` lives
/// (`make test` installs it), not a `python3` found first on the path (pyenv's) that lacks it;
/// bounded like ``curl(_:limit:)``.
func python(_ script: String, _ arguments: [String], limit: Duration = .seconds(30)) async throws -> CurlResult {
    let file = try temporaryFile(script)
    defer { try? FileManager.default.removeItem(atPath: file) }
    return try await runProcess("/usr/bin/python3", [file] + arguments, limit: limit)
}

/// The `name=value` lines a script printed, as a dictionary.
func facts(_ result: CurlResult) -> [String: String] {
    var facts: [String: String] = [:]
    for line in result.stdout.split(separator: "\n") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        facts[String(line[..<equals])] = String(line[line.index(after: equals)...])
    }
    return facts
}

/// How a WebSocket test reaches the server: `ws://` over TCP or `wss://` over TLS.
enum WebSocketTransport: String, CaseIterable, Sendable {
    case ws
    case wss
}

/// A server for `transport` and the script arguments that reach `path` on it: the URL, then for
/// `wss` the CA file to trust. The server is stopped after `body`, whatever happens.
func withWebSocketServer<T: Sendable>(
    _ transport: WebSocketTransport, path: String = "/ws", _ body: (TestServer, [String]) async throws -> T
) async throws -> T {
    let server: TestServer
    var arguments: [String] = []
    let fixture: TLSFixture?
    switch transport {
    case .ws:
        server = try await TestServer()
        fixture = nil
    case .wss:
        let started = try await TLSFixture.start()
        (server, fixture) = (started.server, started)
    }
    // http://… becomes ws://…, https://… wss://….
    arguments.append("ws" + server.url(path).absoluteString.dropFirst(4))
    if let fixture { arguments.append(fixture.caFile) }
    let result = await Result { try await body(server, arguments) }
    if let fixture { await fixture.stop() } else { await server.shutdown() }
    return try result.get()
}

/// What every WebSocket script starts with: the URL and CA from the arguments, `connect` with
/// every wait bounded, `say` to print a fact.
let pythonWebSocketPrelude = """
    import asyncio, os, socket, ssl, sys
    import websockets

    URL = sys.argv[1]
    SSL = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None

    def connect(**options):
        options = {"open_timeout": 10, "close_timeout": 10, "max_size": None, **options}
        return websockets.connect(URL, ssl=SSL, **options)

    async def recv(ws):
        return await asyncio.wait_for(ws.recv(), 10)

    def say(name, value):
        print(f"{name}={value}", flush=True)

    """
