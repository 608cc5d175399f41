import Courier
import Testing

@Suite("Interoperability with nginx")
struct NginxInteropTests {
    @Test("GET, POST, HEAD and a 1 MiB body against nginx, on one connection")
    func nginx() async throws {
        try await withTimeout(.seconds(60)) {
            try await withNginx { nginx in
                let client = HTTPClient()
                let base = "http://127.0.0.1:\(nginx.port)"
                let hello = try await client.send(HTTPRequest(url: URL(string: base + "/hello")!))
                #expect(hello.status.code == 200)
                #expect(hello.headers["Server"]?.hasPrefix("nginx") == true)
                #expect(try await hello.body.string() == "Hello, world!")

                let post = HTTPRequest(method: .post, url: URL(string: base + "/echo")!, body: .json(["key": "value"]))
                #expect(try await client.send(post).body.string() == "POST [15] [] [application/json]")

                let stream = HTTPRequest(
                    method: .put, url: URL(string: base + "/echo")!,
                    body: .stream(AsyncChunks([[1, 2], [3]]), length: nil))
                let streamed = try await client.send(stream).body.string()
                #expect(streamed == "PUT [] [chunked] []")

                let head = try await client.send(HTTPRequest(method: .head, url: URL(string: base + "/big")!))
                #expect(head.headers["Content-Length"] == String(1 << 20))
                #expect(try await head.body.collect(upTo: 0).isEmpty)

                let big = try await client.send(HTTPRequest(url: URL(string: base + "/big")!)).body.collect(
                    upTo: 2 << 20)
                #expect(big.count == 1 << 20)
                #expect(big.prefix(16) == Array("0123456789abcdef".utf8)[...])

                let missing = try await client.send(HTTPRequest(url: URL(string: base + "/missing")!))
                #expect(missing.status.code == 404)
                _ = try await missing.body.string()
                #expect(await client.openConnectionCount == 1)
            }
        }
    }
}

@Suite("Interoperability with nginx over TLS")
struct NginxTLSTests {
    @Test(
        "HTTPS to nginx: verified with a custom root, ALPN picks h2 by default and http/1.1 when only that is offered, one connection",
        arguments: [HTTPVersion.http2, .http1_1])
    func https(version: HTTPVersion) async throws {
        try await withTimeout(.seconds(60)) {
            try await withNginx { nginx in
                var configuration = HTTPClient.Configuration()
                configuration.tls.trustRoots = [nginx.authority.certificate]
                if version == .http1_1 { configuration.protocols = [.http1_1] }
                let client = HTTPClient(configuration: configuration)
                let url = URL(string: "https://127.0.0.1:\(nginx.tlsPort)/hello")!
                for _ in 0..<3 {
                    let response = try await client.send(HTTPRequest(url: url))
                    #expect(response.status.code == 200)
                    #expect(response.version == version)
                    #expect(response.tlsHandshake?.applicationProtocol == (version == .http2 ? "h2" : "http/1.1"))
                    #expect(response.tlsHandshake?.version == .tls1_3)
                    #expect(try await response.body.string() == "Hello, world!")
                }
                let post = HTTPRequest(
                    method: .post, url: URL(string: "https://127.0.0.1:\(nginx.tlsPort)/echo")!, body: .string("hi"))
                #expect(try await client.send(post).body.string() == "POST [2] [] [text/plain; charset=utf-8]")
                let big = try await client.send(
                    HTTPRequest(url: URL(string: "https://127.0.0.1:\(nginx.tlsPort)/big")!))
                #expect(try await big.body.collect(upTo: 2 << 20).count == 1 << 20)
                #expect(await client.openConnectionCount == 1)

                let error = await #expect(throws: HTTPClientError.self) {
                    try await HTTPClient().send(HTTPRequest(url: url))
                }
                #expect(error?.kind == .tls(.untrustedCertificate))
            }
        }
    }
}
