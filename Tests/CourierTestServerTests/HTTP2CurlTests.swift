import CourierCore
import CourierTestServer
import Foundation
import Testing

/// The test server's HTTP/2 as a real client sees it: curl (libcurl over nghttp2), over TLS with
/// ALPN and over cleartext with prior knowledge.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct HTTP2CurlTests {
    @Test(arguments: Transport.allCases)
    func getIsServedOverHTTP2(_ transport: Transport) async throws {
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse(headers: ["X-Greeting": "hi"], body: "hello over h2"))
            let result = try await curl(
                arguments + [
                    "-H", "Cookie: a=1", "-H", "Cookie: b=2", "-w", "\n%{http_version} %{http_code}", "-D", "-",
                    server.url("/greeting?x=1").absoluteString,
                ])
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

    @Test
    func twentyConcurrentStreamsShareOneConnection() async throws {
        let inHandler = Tally()
        let handler: TestServer.Handler = { request in
            // Every stream waits, so the twenty overlap on the connection.
            inHandler.enter()
            try? await Task.sleep(for: .milliseconds(300))
            inHandler.leave()
            return MockResponse(body: "answer for \(request.target)")
        }
        try await withServer(.h2, handler: handler) { server, arguments in
            let urls = (0..<20).flatMap { ["-o", "/dev/null", server.url("/item/\($0)").absoluteString] }
            let result = try await curl(
                arguments + [
                    "--parallel", "--parallel-max", "20", "-w", "%{url_effective} %{http_version} %{size_download}\n",
                ]
                    + urls)
            #expect(result.exitCode == 0, "\(result.stderr)")
            let lines = Set(result.stdout.split(separator: "\n").map(String.init))
            for index in 0..<20 {
                let size = "answer for /item/\(index)".utf8.count
                #expect(lines.contains(server.url("/item/\(index)").absoluteString + " 2 \(size)"))
            }
            #expect(server.connectionCount == 1)
            #expect(server.requestCount == 20)
            #expect(inHandler.peak > 1)
        }
    }

    /// curl 7.88 fails a second stream on a prior-knowledge connection ("Error in the HTTP2
    /// framing layer", with no GOAWAY from the server), so h2c concurrency is shown with nghttp.
    @Test
    func twentyConcurrentStreamsOverH2C() async throws {
        let inHandler = Tally()
        let handler: TestServer.Handler = { request in
            inHandler.enter()
            try? await Task.sleep(for: .milliseconds(300))
            inHandler.leave()
            return MockResponse(body: "answer for \(request.target)")
        }
        try await withServer(.h2c, handler: handler) { server, _ in
            let result = try await nghttp(["-n", "-s"] + (0..<20).map { server.url("/item/\($0)").absoluteString })
            #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
            #expect(server.connectionCount == 1)
            #expect(server.requestCount == 20)
            #expect(inHandler.peak > 1)
        }
    }

    @Test(arguments: Transport.allCases)
    func trailersFollowTheBody(_ transport: Transport) async throws {
        try await withServer(transport) { server, _ in
            server.enqueue(MockResponse(body: "with trailers").trailers(["Grpc-Status": "0", "X-Checksum": "abc"]))
            let result = try await nghttp(["-v", server.url("/t").absoluteString])
            #expect(result.exitCode == 0, "\(result.stderr)")
            // The trailers come in a second HEADERS frame, which ends the stream, after the DATA.
            let data = try #require(result.stdout.range(of: "recv DATA frame <length=13"))
            let trailer = try #require(result.stdout.range(of: ") grpc-status: 0\n"))
            #expect(data.upperBound < trailer.lowerBound)
            #expect(result.stdout.contains(") x-checksum: abc\n"))
            #expect(result.stdout[trailer.upperBound...].contains("; END_STREAM | END_HEADERS"))
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
        try await withServer(transport, http2: options) { server, _ in
            for index in 0..<4 { server.enqueue(MockResponse(body: "ok \(index)")) }
            let result = try await nghttp(["-v"] + (0..<4).map { server.url("/g/\($0)").absoluteString })
            // nghttp numbers its requests' streams after its priority anchors; the second is the last.
            let streams = result.stdout.split(separator: "\n").compactMap { line -> Int? in
                guard line.contains("send HEADERS frame"), let id = line.split(separator: "stream_id=").last else {
                    return nil
                }
                return Int(id.dropLast())
            }
            #expect(streams.count == 4, "\(result.stdout)")
            #expect(result.stdout.contains("last_stream_id=\(streams[1]), error_code=ENHANCE_YOUR_CALM(0x0b)"))
            #expect(result.stdout.components(separatedBy: "recv DATA frame <length=4,").count - 1 == 2)
            #expect(server.requestCount == 2)
            #expect(server.connectionCount == 1)
        }
    }

    @Test
    func goAwayMakesCurlRetryOnANewConnection() async throws {
        var options = HTTP2Options()
        options.goAwayAfterStreams = 2
        let handler: TestServer.Handler = { request in
            try? await Task.sleep(for: .milliseconds(200))
            return MockResponse(body: "ok \(request.target)")
        }
        try await withServer(.h2, http2: options, handler: handler) { server, arguments in
            let urls = (0..<4).flatMap { ["-o", "/dev/null", server.url("/g/\($0)").absoluteString] }
            let result = try await curl(
                arguments + ["--parallel", "--parallel-max", "4", "-w", "%{url_effective} %{http_code}\n"] + urls)
            // The streams the GOAWAY left unprocessed are retried on new connections.
            let lines = Set(result.stdout.split(separator: "\n").map(String.init))
            for index in 0..<4 { #expect(lines.contains(server.url("/g/\(index)").absoluteString + " 200")) }
            #expect(server.connectionCount > 1, "\(result.stderr)")
            let first = try await (0..<2).asyncMap { _ in try await server.takeRequest() }
            #expect(Set(first.map(\.connectionIndex)) == [0])
        }
    }

    @Test(arguments: Transport.allCases)
    func largeBodyRespectsFlowControl(_ transport: Transport) async throws {
        // Built and compared without a per-byte generic loop: in a debug build one would keep a
        // cooperative thread busy for seconds and starve every other test in the process.
        let body = [UInt8](unsafeUninitializedCapacity: 8 << 20) { buffer, count in
            for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: index &* 31) }
            count = buffer.count
        }
        try await withServer(transport) { server, arguments in
            server.enqueue(MockResponse(body: body))
            let file = "/tmp/courier-test-server-big-\(getpid())-\(transport)"
            defer { try? FileManager.default.removeItem(atPath: file) }
            // A small window makes curl grant credit many times over.
            let result = try await curl(
                arguments + [
                    "--limit-rate", "32M", "-o", file, "-w", "%{size_download}", server.url("/big").absoluteString,
                ])
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.stdout == String(8 << 20))
            #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == Data(body))
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
        let result = try await curl([
            "--http2", "--cacert", ca, "-w", " %{http_version}", server.url("/").absoluteString,
        ])
        await server.shutdown()
        #expect(result.stdout == "one 1.1")
    }
}

extension Sequence where Element: Sendable {
    /// The results of `transform`, one element at a time, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
