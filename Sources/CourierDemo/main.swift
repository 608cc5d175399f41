import Courier
import CourierTestServer

/// `make demo`: starts the embedded test server and sends real requests to it over loopback.

struct Greeting: Codable, Sendable {
    let name: String
    let languages: [String]
}

let downloadSize = 50 << 20
/// "Decoded by Courier, chunk by chunk.", gzip-compressed.
let demoGzip: [UInt8] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x73, 0x49, 0x4d, 0xce, 0x4f, 0x49, 0x4d, 0x51, 0x48,
    0xaa, 0x54, 0x70, 0xce, 0x2f, 0x2d, 0xca, 0x4c, 0x2d, 0xd2, 0x51, 0x48, 0xce, 0x28, 0xcd, 0xcb, 0x06, 0x89, 0x80,
    0x19, 0x7a, 0x00, 0x5e, 0x16, 0xb1, 0x44, 0x23, 0x00, 0x00, 0x00,
]
let block = [UInt8](repeating: UInt8(ascii: "x"), count: 64 << 10)

let server = try await TestServer { request in
    switch (request.method, request.path) {
    case (.get, "/hello"):
        return MockResponse(headers: ["Content-Type": "text/plain"], body: "Hello, world!")
    case (.post, "/echo"):
        return MockResponse(
            headers: ["Content-Type": request.headers["Content-Type"] ?? "application/octet-stream"], body: request.body
        )
    case (.get, "/download"):
        return MockResponse(length: downloadSize) { writer in
            var sent = 0
            while sent < downloadSize {
                try await writer.write(block)
                sent += block.count
            }
        }
    default:
        return MockResponse(status: .notFound, body: "no such path")
    }
}
print("Test server listening on \(server.url())")

let client = HTTPClient()

// 1. GET
let hello = try await client.send(HTTPRequest(url: server.url("/hello")))
print("GET /hello → \(hello.status) \(hello.version), body: \(try await hello.body.string().debugDescription)")

// 2. POST JSON, decoded back from the echo
let greeting = Greeting(name: "Courier", languages: ["Swift", "HTTP/1.1"])
let post = HTTPRequest(method: .post, url: server.url("/echo"), body: .json(greeting))
let echoed = try await client.send(post)
let decoded = try await echoed.body.decode(Greeting.self)
print(
    "POST /echo (JSON) → \(echoed.status), Content-Type: \(echoed.headers["Content-Type"] ?? "-"), decoded: \(decoded.name) \(decoded.languages)"
)

// 3. A streamed 50 MiB download with a progress line
let start = ContinuousClock.now
let download = try await client.send(HTTPRequest(url: server.url("/download")))
var received = 0
var nextReport = 0
for try await chunk in download.body {
    received += chunk.count
    if received >= nextReport {
        let percent = received * 100 / downloadSize
        print("\rGET /download: \(received >> 20) MiB of \(downloadSize >> 20) MiB (\(percent)%)", terminator: "")
        nextReport += 5 << 20
    }
}
let elapsed = ContinuousClock.now - start
let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
print(
    "\rGET /download: \(received >> 20) MiB streamed in \(milliseconds) ms (\(Int64(received) / max(1, milliseconds) / 1000) MB/s)"
)

// 4. Reuse: the server saw every request above on one keep-alive connection.
print(
    "Server saw \(server.requestCount) requests on \(server.connectionCount) connection(s); client pool holds \(await client.openConnectionCount) open."
)

// 5. HTTPS: a test server with a throwaway CA, verified, with the handshake reported.
let authority = try HeldCertificate.authority()
let leaf = try HeldCertificate.leaf(hosts: ["127.0.0.1"], issuedBy: authority)
let secure = try await TestServer(tls: .init(identity: leaf.identity)) { request in
    // The server reports the Cookie header it received: the jar adds it on the wire, below
    // `response.request`, which is the request as the caller built it.
    MockResponse(
        headers: [
            "Set-Cookie": "visits=\(request.sequenceNumber + 1); Path=/",
            "X-Cookie-Received": request.headers["Cookie"] ?? "none",
        ],
        body: "Hello over TLS")
}
var secureConfiguration = HTTPClient.Configuration()
secureConfiguration.tls.trustRoots = [authority.certificate]
secureConfiguration.cookieJar = InMemoryCookieJar()
let secureClient = HTTPClient(configuration: secureConfiguration)
for _ in 0..<2 {
    let response = try await secureClient.send(HTTPRequest(url: secure.url("/secure")))
    let handshake = response.tlsHandshake
    print(
        "GET \(secure.url("/secure")) → \(response.status), \(handshake?.version.description ?? "-") "
            + "\(handshake?.cipherSuite ?? "-"), ALPN \(handshake?.applicationProtocol ?? "-"), "
            + "body: \(try await response.body.string().debugDescription), "
            + "cookie the server received: \(response.headers["X-Cookie-Received"] ?? "-")"
    )
}

// 6. HTTP/2: 64 calls at once multiplexed on one connection (ALPN picked h2 above, too), then
// h2c: HTTP/2 over cleartext with prior knowledge.
let multiplexStart = ContinuousClock.now
let versions = try await withThrowingTaskGroup(of: HTTPVersion.self) { group in
    for index in 0..<64 {
        group.addTask {
            let response = try await secureClient.send(HTTPRequest(url: secure.url("/stream/\(index)")))
            _ = try await response.body.string()
            return response.version
        }
    }
    var versions = Set<HTTPVersion>()
    for try await version in group { versions.insert(version) }
    return versions
}
print(
    "64 concurrent GETs over \(versions.map(\.description).sorted().joined(separator: ", ")) in "
        + "\(ContinuousClock.now - multiplexStart): the server accepted \(secure.connectionCount) connection(s)"
)
await secure.shutdown()
let cleartext = try await TestServer(protocols: [.http2, .http1_1]) { _ in MockResponse(body: "Hello over h2c") }
let priorKnowledge = HTTPClient(
    configuration: { () -> HTTPClient.Configuration in
        var configuration = HTTPClient.Configuration()
        configuration.protocols = [.http2]
        return configuration
    }())
let h2c = try await priorKnowledge.send(HTTPRequest(url: cleartext.url("/h2c")))
print(
    "GET \(cleartext.url("/h2c")) with prior knowledge → \(h2c.status) \(h2c.version), body: \(try await h2c.body.string().debugDescription)"
)
await cleartext.shutdown()

// 7. A gzip-encoded response is decoded as it streams.
let compressed = try await TestServer { _ in
    MockResponse(headers: ["Content-Encoding": "gzip"], body: demoGzip)
}
let inflated = try await client.send(HTTPRequest(url: compressed.url("/gzip")))
print("GET /gzip (Content-Encoding: gzip) → \(try await inflated.body.string().debugDescription)")
await compressed.shutdown()

// 8. A malformed response becomes a precise error.
let broken = try await TestServer { _ in MockResponse(raw: "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n") }
do {
    _ = try await client.send(HTTPRequest(url: broken.url("/broken")))
} catch let error as HTTPClientError {
    print("Malformed response → \(error.kind): \(error)")
}
await broken.shutdown()

// 9. A WebSocket: echoed messages (permessage-deflate negotiated), then the closing handshake;
// once upgraded from HTTP/1.1, once as a stream of an HTTP/2 connection (RFC 8441, h2c).
func webSocketEcho(_ client: HTTPClient) async throws {
    let sockets = try await TestServer(protocols: [.http2, .http1_1]) { _ in .webSocketEcho }
    let socket = try await client.webSocket(HTTPRequest(url: URL(string: "ws://127.0.0.1:\(sockets.port)/echo")!))
    print(
        "WebSocket ws://127.0.0.1:\(sockets.port)/echo open over \(socket.response.version) "
            + "(\(socket.response.status.code)), compressed: \(socket.isCompressed)")
    var replies = socket.messages.makeAsyncIterator()
    for message in [WebSocketMessage.text("Hello, WebSocket!"), .binary([0xCA, 0xFE, 0xBA, 0xBE])] {
        try await socket.send(message)
        print("  sent \(message), echoed \(try await replies.next().map { "\($0)" } ?? "nothing")")
    }
    try await socket.close(code: .normalClosure, reason: "demo done")
    print("  closed with 1000; the messages ended: \(try await replies.next() == nil)")
    await sockets.shutdown()
}
try await webSocketEcho(client)
try await webSocketEcho(priorKnowledge)

// 10. A disk cache: the second request for a fresh response never reaches the server.
let cacheDirectory = URL(fileURLWithPath: "/tmp/courier-demo-cache-\(UInt32.random(in: 0...UInt32.max))")
let origin = try await TestServer { _ in
    MockResponse(headers: ["Cache-Control": "max-age=60"], body: "Fresh for a minute")
}
let cached = client.with { $0.cache = try? HTTPCache(directory: cacheDirectory, maxSize: 1 << 20) }
for attempt in 1...2 {
    let response = try await cached.send(HTTPRequest(url: origin.url("/fresh")))
    let source = response.networkResponse == nil ? "the disk cache" : "the network"
    print("GET /fresh #\(attempt) → \(try await response.body.string().debugDescription) from \(source)")
}
print("The server saw \(origin.requestCount) request(s); the cache lives in \(cacheDirectory.path)")
try await cached.configuration.cache?.evictAll()
await origin.shutdown()

await server.shutdown()
await client.shutdown()
