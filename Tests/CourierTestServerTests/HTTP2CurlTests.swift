import CourierCore
import CourierTestServer
import Foundation
import Testing

/// The test server's HTTP/2 as a real client sees it: curl (libcurl over nghttp2), over TLS with
/// ALPN and over cleartext with prior knowledge.
@Suite(.timeLimit(.minutes(1)))
struct HTTP2CurlTests {
    @Test(arguments: Transport.allCases)
    func getIsServedOverHTTP2(_ transport: Transport) async throws {
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse(headers: ["X-Greeting": "hi"], body: "hello over h2"))
            let result = try await curl(
                arguments + ["-H", "Cookie: a=1", "-H", "Cookie: b=2", "-w", "\n%{http_version} %{http_code}", "-D", "-",
                    server.url("/greeting?x=1").absoluteString])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout.hasSuffix("hello over h2\n2 200"))
            #expect(result.stdout.lowercased().contains("x-greeting: hi"))
            let request = try await server.takeRequest()
            #expect(request.version == .http2)
            #expect(request.method == .get)
            #expect(request.target == "/greeting?x=1")
            #expect(request.headers["Host"] == "\(server.host):\(server.port)")
            #expect(request.headers["Cookie"] == "a=1; b=2")
            #expect(!request.headers.contains(":path"))
        }
    }

    @Test(arguments: Transport.allCases)
    func postBodyIsRecorded(_ transport: Transport) async throws {
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse(status: .created, body: "made"))
            let body = String(repeating: "0123456789", count: 20_000)
            let file = try temporaryFile(body)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let result = try await curl(
                arguments + ["--data-binary", "@" + file, "-w", " %{http_code}", server.url("/upload").absoluteString])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout == "made 201")
            let request = try await server.takeRequest()
            #expect(request.method == .post)
            #expect(request.bodyString == body)
        }
    }

    @Test(arguments: Transport.allCases)
    func twentyConcurrentStreamsShareOneConnection(_ transport: Transport) async throws {
        let handler: TestServer.Handler = { request in
            // Every stream waits, so all twenty are open at once on the connection.
            try? await Task.sleep(for: .milliseconds(300))
            return MockResponse(body: "answer for \(request.target)")
        }
        try await withServer(transport, handler: handler) { server, arguments in
            let urls = (0..<20).map { server.url("/item/\($0)").absoluteString }
            let result = try await curl(
                arguments + ["--parallel", "--parallel-immediate", "--parallel-max", "20", "-w", "[%{http_version}]\n"]
                    + urls)
            #expect(result.exitCode == 0, "\(result.stderr)")
            for index in 0..<20 { #expect(result.stdout.contains("answer for /item/\(index)[2]")) }
            #expect(server.connectionCount == 1)
            #expect(server.requestCount == 20)
        }
    }

    @Test(arguments: Transport.allCases)
    func trailersFollowTheBody(_ transport: Transport) async throws {
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse(body: "with trailers").trailers(["Grpc-Status": "0", "X-Checksum": "abc"]))
            let result = try await curl(arguments + ["-v", server.url("/t").absoluteString])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout == "with trailers")
            #expect(result.stderr.contains("< grpc-status: 0"))
            #expect(result.stderr.contains("< x-checksum: abc"))
        }
    }

    @Test(arguments: Transport.allCases)
    func resetAtStartIsACurlError(_ transport: Transport) async throws {
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse().http2(.resetAtStart(.internalError)))
            let result = try await curl(arguments + [server.url("/reset").absoluteString])
            #expect(result.exitCode == 92, "\(result.stderr)")  // CURLE_HTTP2_STREAM
            #expect(result.stderr.contains("INTERNAL_ERROR"))
            #expect(try await server.takeRequest().path == "/reset")
        }
    }

    @Test(arguments: Transport.allCases)
    func goAwayAfterTwoStreams(_ transport: Transport) async throws {
        var options = HTTP2Options()
        options.goAwayAfterStreams = 2
        options.goAwayCode = .enhanceYourCalm
        let handler: TestServer.Handler = { request in
            try? await Task.sleep(for: .milliseconds(200))
            return MockResponse(body: "ok \(request.target)")
        }
        try await withServer(transport, http2: options, handler: handler) { server, arguments in
            let urls = (0..<4).map { server.url("/g/\($0)").absoluteString }
            let result = try await curl(
                arguments + ["--parallel", "--parallel-immediate", "--parallel-max", "4", "-w", "|%{http_code}\n"]
                    + urls)
            // The first two streams are answered; the others fail or are retried on a new connection.
            #expect(result.stdout.contains("ok /g/0|200"))
            #expect(result.stdout.contains("ok /g/1|200"))
            #expect(result.exitCode != 0 || server.connectionCount > 1, "\(result.stderr)")
        }
    }

    @Test(arguments: Transport.allCases)
    func largeBodyRespectsFlowControl(_ transport: Transport) async throws {
        let body = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse(body: body))
            let file = "/tmp/courier-test-server-big-\(getpid())-\(transport)"
            defer { try? FileManager.default.removeItem(atPath: file) }
            // A small window makes curl grant credit many times over.
            let result = try await curl(
                arguments + ["--limit-rate", "32M", "-o", file, "-w", "%{size_download}", server.url("/big").absoluteString])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout == String(8 << 20))
            let received = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
            #expect(received == body)
        }
    }

    @Test
    func cleartextHTTP1StillWorksWhenHTTP2IsAllowed() async throws {
        let server = try await TestServer(protocols: [.http2, .http1_1])
        server.enqueue(MockResponse(body: "plain"))
        let result = try await curl(["-w", " %{http_version}", server.url("/").absoluteString])
        await server.shutdown()
        #expect(result.stdout == "plain 1.1")
        #expect(try await server.takeRequest().version == .http1_1)
    }

    @Test
    func tlsWithoutHTTP2InProtocolsStaysHTTP1() async throws {
        let authority = try HeldCertificate.authority()
        let leaf = try HeldCertificate.leaf(hosts: ["127.0.0.1"], issuedBy: authority)
        let server = try await TestServer(tls: .init(identity: leaf.identity), protocols: [.http1_1])
        let ca = try temporaryFile(authority.certificatePEM)
        defer { try? FileManager.default.removeItem(atPath: ca) }
        server.enqueue(MockResponse(body: "one"))
        let result = try await curl(["--http2", "--cacert", ca, "-w", " %{http_version}", server.url("/").absoluteString])
        await server.shutdown()
        #expect(result.stdout == "one 1.1")
    }
}
