import Courier
import CourierTestServer
import Testing

@Suite("LoggingInterceptor")
struct LoggingTests {
    @Test("Headers level: request and response lines, headers, redaction, timing", arguments: Transport.main)
    func headers(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server { _ in
                MockResponse(
                    headers: ["Content-Type": "text/plain", "X-Reply": "yes", "Set-Cookie": "session=secret-cookie"],
                    body: "pong")
            }
            let log = Lines()
            let client = transport.client().with {
                $0.interceptors = [LoggingInterceptor(level: .headers, sink: log.sink)]
            }
            var request = HTTPRequest(method: .post, url: server.url("/ping"), body: .string("ping"))
            request.headers["Authorization"] = "Bearer secret-token"
            request.headers["Proxy-Authorization"] = "Basic secret-proxy"
            request.headers["X-Visible"] = "shown"
            #expect(try await client.send(request).body.string() == "pong")
            let text = log.text
            #expect(text.contains("--> POST \(server.url("/ping").absoluteString) (4-byte body)"))
            #expect(text.contains("Authorization: ██"))
            #expect(!text.contains("secret-token"))
            #expect(!text.contains("secret-proxy"))
            #expect(!text.contains("secret-cookie"))
            #expect(text.contains("X-Visible: shown"))
            #expect(text.contains("<-- 200 OK \(server.url("/ping").absoluteString) ("))
            #expect(text.contains(" ms)"))
            // Field names are lowercase on HTTP/2's wire (RFC 9113 §8.2.1), and logged as received.
            #expect(text.contains(transport.multiplexes ? "x-reply: yes" : "X-Reply: yes"))
            #expect(!text.contains("pong"), "headers level logs no bodies")
            await server.shutdown()
        }
    }

    @Test(
        "Body level: text bodies, bounded; binary bodies only by size; streaming untouched", arguments: Transport.main)
    func bodies(transport: Transport) async throws {
        try await withTimeout {
            let long = String(repeating: "a", count: 100)
            let server = try await transport.server { request in
                request.path == "/binary"
                    ? MockResponse(headers: ["Content-Type": "application/octet-stream"], body: [0, 1, 2, 3])
                    : MockResponse(headers: ["Content-Type": "application/json"], body: "{\"long\":\"\(long)\"}")
            }
            let log = Lines()
            let client = transport.client().with {
                $0.interceptors = [LoggingInterceptor(level: .body, maxBodyBytes: 20, sink: log.sink)]
            }
            let json = try await client.send(
                HTTPRequest(method: .post, url: server.url("/json"), body: .json(["k": "v"])))
            #expect(try await json.body.string().count == 111)
            #expect(log.text.contains("{\"k\":\"v\"}"))
            #expect(log.text.contains("{\"long\":\"aaaaaaaaaaa…\n"))
            #expect(log.text.contains("<-- END HTTP (111-byte body)"))
            #expect(
                try await client.send(HTTPRequest(url: server.url("/binary"))).body.collect(upTo: 10) == [0, 1, 2, 3])
            #expect(log.text.contains("<-- END HTTP (4-byte body)"))
            await server.shutdown()
        }
    }

    @Test("Failures are logged", arguments: Transport.main)
    func failure(transport: Transport) async throws {
        try await withTimeout {
            let refusing = try RefusingPort()
            let url = refusing.url(scheme: transport.isSecure ? "https" : "http")
            let log = Lines()
            let client = transport.client().with {
                $0.interceptors = [LoggingInterceptor(level: .basic, sink: log.sink)]
            }
            await #expect(throws: HTTPClientError.self) { try await client.send(HTTPRequest(url: url)) }
            #expect(log.text.contains("<-- HTTP FAILED:"))
            refusing.close()
        }
    }
}
