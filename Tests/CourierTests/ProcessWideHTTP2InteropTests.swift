import CCourierZlib
import Courier
import CourierTestServer
import Foundation
import Glibc
import Synchronization
import Testing

extension ProcessWide {
    /// HTTP/2 acceptance against real servers, through `HTTPClient`: nginx (h2 over TLS, ALPN) and
    /// nghttpd (TLS and h2c), each started by the test on 127.0.0.1 at an ephemeral port and
    /// stopped by its PID; and GOAWAY under load from nginx and the test server. In the
    /// process-wide run: 256 MiB transfers and 1,000 streams keep both cores busy for seconds,
    /// which would starve the timing of the tests running beside them.
    @Suite("HTTP/2 interop acceptance", .enabled(if: InteropServer.installed), .serialized)
    struct HTTP2InteropTests {
        @Test("1000 concurrent streams on one connection all succeed", arguments: InteropServer.allCases)
        func thousandStreams(server kind: InteropServer) async throws {
            try await withTimeout(.seconds(60)) {
                try await kind.run { server in
                    let connects = ConnectCounter()
                    let client = HTTPClient(
                        configuration: server.configuration {
                            $0.maxRequests = 1000
                            $0.eventListener = connects
                        })
                    let started = ContinuousClock.now
                    // nginx answers with its serial number of the connection; nghttpd with a file.
                    let path = kind == .nginx ? "/connection" : "/small"
                    let responses = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                        for _ in 0..<1000 {
                            group.addTask { try await client.send(HTTPRequest(url: server.url(path))) }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    // Every response is held with its body unread, so all 1000 exchanges are leased
                    // at this moment: on one connection.
                    #expect(await client.openConnectionCount == 1)
                    #expect(connects.count == 1)
                    var bodies: [String: Int] = [:]
                    for response in responses {
                        #expect(response.status.code == 200 && response.version == .http2)
                        bodies[try await response.body.string(), default: 0] += 1
                    }
                    #expect(bodies.values.reduce(0, +) == 1000)
                    if kind == .nginx {
                        #expect(bodies.count == 1, "one nginx connection serial: \(bodies.keys)")
                    } else {
                        #expect(bodies == [InteropServer.smallBody: 1000])
                    }
                    print("\(kind): 1000 concurrent streams in \(ContinuousClock.now - started)")
                    await client.shutdown()
                }
            }
        }

        @Test(
            "A 256 MiB download on one stream while 64 small calls complete on others of the same connection",
            arguments: InteropServer.allCases)
        func largeDownloadAlongsideSmallCalls(server kind: InteropServer) async throws {
            try await withTimeout(.seconds(120)) {
                try await kind.run { server in
                    let connects = ConnectCounter()
                    let client = HTTPClient(
                        configuration: server.configuration {
                            $0.maxRequests = 128
                            $0.readTimeout = .seconds(60)
                            $0.eventListener = connects
                        })
                    let total = InteropFile.largeSize
                    let received = ByteCount()
                    let halfway = Gate()
                    let (firstChunk, firstChunkSignal) = AsyncStream.makeStream(of: Void.self)
                    let started = ContinuousClock.now
                    let download = Task {
                        let response = try await client.send(HTTPRequest(url: server.url("/large")))
                        var crc = crc32(0, nil, 0)
                        var count = 0
                        for try await chunk in response.body {
                            crc = chunk.withUnsafeBytes { bytes in
                                crc32(crc, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                            }
                            // Counted before the signal: a small call that finished at once
                            // would otherwise see no byte of a download that had begun.
                            let first = count == 0
                            count += chunk.count
                            received.add(chunk.count)
                            if first { firstChunkSignal.yield() }
                            // Holds the download here until the small calls are done: it cannot
                            // finish before them, whatever the timing.
                            if count >= total / 2 { await halfway.pass {} }
                        }
                        return (count, UInt32(crc))
                    }
                    for await _ in firstChunk { break }
                    let seenByDownload = try await withThrowingTaskGroup(of: Int.self) { group in
                        for index in 0..<64 {
                            group.addTask {
                                let path = index % 2 == 0 ? "/small" : "/missing"
                                let response = try await client.send(HTTPRequest(url: server.url(path)))
                                let body = try await response.body.string()
                                if path == "/small" {
                                    #expect(response.status.code == 200 && body == InteropServer.smallBody)
                                } else {
                                    #expect(response.status.code == 404)
                                }
                                return received.value
                            }
                        }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                    let smallDone = ContinuousClock.now - started
                    #expect(seenByDownload.count == 64)
                    #expect(
                        seenByDownload.allSatisfy { $0 > 0 && $0 < total }, "the download was under way and unfinished")
                    halfway.open()
                    let (count, crc) = try await download.value
                    #expect(count == total)
                    #expect(crc == InteropFile.large.crc, "the body's CRC-32")
                    #expect(await client.openConnectionCount == 1)
                    #expect(connects.count == 1, "one connection for the download and the 64 calls")
                    print(
                        "\(kind): 64 calls done after \(smallDone); 256 MiB in \(ContinuousClock.now - started)"
                    )
                    await client.shutdown()
                }
            }
        }

        @Test(
            "nginx GOAWAY after keepalive_requests under load: every GET and POST succeeds, retried when unprocessed")
        func nginxGoAwayUnderLoad() async throws {
            try await withTimeout(.seconds(60)) {
                try await InteropServer.nginx.run(keepaliveRequests: 50) { server in
                    let connects = ConnectCounter()
                    let client = HTTPClient(configuration: server.configuration { $0.eventListener = connects })
                    let outcomes = await HTTP2InteropTests.load(client, server.url("/echo"), calls: 600)
                    #expect(outcomes == ["GET 200": 300, "POST 200": 300], "\(outcomes)")
                    // 50 streams per connection: at least 12 connections, each ended by GOAWAY.
                    #expect(connects.count >= 12, "\(connects.count) connections")
                    #expect(connects.givenTwice == 0, "a refused call went back to the connection that refused it")
                    print(
                        "nginx GOAWAY under load: \(outcomes), \(connects.count) connections, \(connects.acquired - 600) retries, at most \(connects.mostTries) tries a call"
                    )
                    await client.shutdown()
                }
            }
        }

        @Test(
            "The test server's GOAWAY after 50 streams under load: every GET and POST succeeds, retried when unprocessed",
            arguments: [Transport.http2, .h2c])
        func testServerGoAwayUnderLoad(transport: Transport) async throws {
            try await withTimeout(.seconds(60)) {
                var http2 = HTTP2Options()
                http2.goAwayAfterStreams = 50
                let server = try await transport.server(http2: http2) { request in
                    MockResponse(body: "\(request.method) [\(request.body.isEmpty ? "" : String(request.body.count))]")
                }
                let connects = ConnectCounter()
                let client = transport.client { $0.eventListener = connects }
                let outcomes = await HTTP2InteropTests.load(client, server.url("/echo"), calls: 600)
                #expect(outcomes == ["GET 200": 300, "POST 200": 300], "\(outcomes)")
                #expect(server.connectionCount >= 12)
                // The server ignores the streams above each GOAWAY's last stream; they were sent again.
                #expect(connects.acquired > 600)
                #expect(connects.givenTwice == 0, "a refused call went back to the connection that refused it")
                #expect(server.requestCount == 600)
                print(
                    "test server GOAWAY under load (\(transport)): \(outcomes), \(server.connectionCount) connections, \(connects.acquired - 600) retries, at most \(connects.mostTries) tries a call"
                )
                await client.shutdown()
                await server.shutdown()
            }
        }

        /// `calls` requests to an echo route, GET and POST (with a 5-octet body) in turn, 64 at a
        /// time (the client's `maxRequests`), each counted by its method and status, or its error's
        /// kind. A POST is not idempotent: only the retry of a stream the server provably did not
        /// process (RFC 9113 §8.7) sends it again.
        static func load(_ client: HTTPClient, _ url: URL, calls: Int) async -> [String: Int] {
            await withTaskGroup(of: String.self) { group in
                for index in 0..<calls {
                    group.addTask {
                        let method: HTTPMethod = index % 2 == 0 ? .get : .post
                        let request =
                            method == .get
                            ? HTTPRequest(url: url) : HTTPRequest(method: .post, url: url, body: .string("hello"))
                        do {
                            let response = try await client.send(request)
                            let body = try await response.body.string()
                            // nginx: "POST [5] [] [text/plain…]"; the test server: "POST [5]".
                            let echoed = body.hasPrefix("\(method) [\(method == .get ? "" : "5")]")
                            return echoed ? "\(method) \(response.status.code)" : "\(method) echoed \(body)"
                        } catch let error as HTTPClientError {
                            print("load failure: \(method) \(error.kind): \(error.message)")
                            return "\(method) \(error.kind)"
                        } catch {
                            return "\(method) \(type(of: error))"
                        }
                    }
                }
                return await group.reduce(into: [:]) { $0[$1, default: 0] += 1 }
            }
        }
    }
}

extension ProcessWide {
    @Suite("HTTP/2 interop: cancelling one of many streams", .enabled(if: InteropServer.installed))
    struct HTTP2InteropCancellationTests {
        @Test("Cancelling one of 64 calls in flight on nginx resets only its stream; no descriptor leaks")
        func cancelOneOf64() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptors()
            try await withTimeout(.seconds(60)) {
                try await InteropServer.nginx.run { server in
                    let connects = ConnectCounter()
                    let client = HTTPClient(configuration: server.configuration { $0.eventListener = connects })
                    let ready = ByteCount()
                    let gate = Gate()
                    var calls: [Task<Int, any Error>] = []
                    for _ in 0..<63 {
                        calls.append(
                            Task {
                                let response = try await client.send(HTTPRequest(url: server.url("/big")))
                                var iterator = response.body.makeAsyncIterator()
                                var count = try await iterator.next()?.count ?? 0
                                ready.add(1)
                                await gate.pass {}
                                while let chunk = try await iterator.next() { count += chunk.count }
                                return count
                            })
                    }
                    // The victim: 1 MiB at 64 KiB/s, read as it comes, so that it waits in the
                    // body's next() when it is cancelled.
                    let victim = Task {
                        let response = try await client.send(HTTPRequest(url: server.url("/slow/big")))
                        var count = 0
                        for try await chunk in response.body {
                            if count == 0 { ready.add(1) }
                            count += chunk.count
                        }
                        return count
                    }
                    while ready.value < 64 { try await Task.sleep(for: .milliseconds(10)) }
                    victim.cancel()
                    await #expect(throws: CancellationError.self) { try await victim.value }
                    // Only its stream was reset: the connection carries on with the other 63.
                    #expect(await client.openConnectionCount == 1)
                    gate.open()
                    for call in calls { #expect(try await call.value == 1 << 20) }
                    #expect(
                        try await client.send(HTTPRequest(url: server.url("/small"))).body.string()
                            == InteropServer.smallBody)
                    #expect(connects.count == 1, "one connection throughout")
                    await client.shutdown()
                }
            }
            #expect(
                await eventually { ProcessProbe.openDescriptors() == baseline }, "\(ProcessProbe.openDescriptors())")
        }
    }
}

// MARK: Servers

/// A real HTTP/2 server for the interop tests, serving `/small`, `/large` (``InteropFile/large``)
/// and, on nginx, `/big` (1 MiB), `/slow/…` and `/connection`.
enum InteropServer: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case nginx = "nginx"
    case nghttpdTLS = "nghttpd (TLS)"
    case nghttpdH2C = "nghttpd (h2c)"

    static let smallBody = "hello over HTTP/2\n"

    static var installed: Bool {
        Nghttpd.isInstalled && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx")
    }

    var testDescription: String { rawValue }

    /// Where a running server is and how a client reaches it.
    struct Running: Sendable {
        let base: String
        let protocols: [HTTPVersion]
        let authority: HeldCertificate?

        func url(_ path: String) -> URL { URL(string: base + path)! }

        func configuration(_ modify: (inout HTTPClient.Configuration) -> Void) -> HTTPClient.Configuration {
            var configuration = HTTPClient.Configuration()
            configuration.protocols = protocols
            if let authority { configuration.tls.trustRoots = [authority.certificate] }
            modify(&configuration)
            return configuration
        }
    }

    /// Starts the server, runs `body` against it and stops it, whatever happens.
    func run<T: Sendable>(keepaliveRequests: Int = 100_000, _ body: (Running) async throws -> T) async throws -> T {
        let files = try InteropFile.prepared()
        switch self {
        case .nginx:
            var options = Nginx.Options()
            options.http2MaxConcurrentStreams = 1000
            options.keepaliveRequests = keepaliveRequests
            options.files = ["small": files.small, "large": files.large]
            return try await withNginx(options) { nginx in
                try await body(
                    Running(
                        base: "https://127.0.0.1:\(nginx.tlsPort)", protocols: [.http2, .http1_1],
                        authority: nginx.authority))
            }
        case .nghttpdTLS, .nghttpdH2C:
            let tls = self == .nghttpdTLS
            let authority = try HeldCertificate.authority()
            let leaf = try HeldCertificate.leaf(hosts: ["127.0.0.1"], issuedBy: authority)
            let server = try await Nghttpd(
                files: [:], links: ["small": files.small, "large": files.large], tls: tls ? leaf : nil,
                arguments: ["-m", "1000"])
            return try await server.serving {
                try await body(
                    Running(
                        base: "\(tls ? "https" : "http")://127.0.0.1:\(server.port)",
                        protocols: tls ? [.http2, .http1_1] : [.http2], authority: tls ? authority : nil))
            }
        }
    }
}

/// The files the interop servers serve, written once per process and removed at its exit.
enum InteropFile {
    static let largeSize = 256 << 20

    /// `/large`: 256 blocks of 1 MiB of pseudo-random octets, each starting with its own index, so
    /// that a block lost, repeated or out of order changes the CRC-32.
    static let large: (path: String, crc: UInt32) = {
        let path = "/tmp/courier-interop-\(getpid())-large"
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var block = [UInt8](repeating: 0, count: 1 << 20)
        block.withUnsafeMutableBytes { bytes in
            let words = bytes.bindMemory(to: UInt64.self)
            for index in words.indices {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                words[index] = state ^ (state >> 29)
            }
        }
        let file = fopen(path, "w")!
        var crc = crc32(0, nil, 0)
        for index in 0..<(largeSize >> 20) {
            block.withUnsafeMutableBytes { bytes in
                bytes.storeBytes(of: UInt64(index).bigEndian, as: UInt64.self)
                crc = crc32(crc, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count))
                _ = fwrite(bytes.baseAddress!, 1, bytes.count, file)
            }
        }
        fclose(file)
        atexit { unlink("/tmp/courier-interop-\(getpid())-large") }
        return (path, UInt32(crc))
    }()

    static let small: String = {
        let path = "/tmp/courier-interop-\(getpid())-small"
        let file = fopen(path, "w")!
        fputs(InteropServer.smallBody, file)
        fclose(file)
        atexit { unlink("/tmp/courier-interop-\(getpid())-small") }
        return path
    }()

    static func prepared() throws -> (small: String, large: String) {
        (small, large.path)
    }
}

// MARK: Support

/// Counts the connections the client establishes.
final class ConnectCounter: EventListener {
    private let connects = Atomic<Int>(0)
    private let acquisitions = Atomic<Int>(0)
    /// Per call, the connections it was given, in order.
    private let given = Mutex<[UInt64: [Int]]>([:])
    var count: Int { connects.load(ordering: .relaxed) }
    /// Connections (or streams) acquired by calls: more than the calls when some were retried.
    var acquired: Int { acquisitions.load(ordering: .relaxed) }
    /// The most connections one call was given.
    var mostTries: Int { given.withLock { $0.values.map(\.count).max() ?? 0 } }
    /// Calls given the same connection twice: after a refusal, the pool handed back a
    /// connection that had stopped taking streams.
    var givenTwice: Int { given.withLock { $0.values.count { Set($0).count < $0.count } } }
    func connectStart(_ call: CallInfo, route: Route) { connects.add(1, ordering: .relaxed) }
    func connectionAcquired(_ call: CallInfo, connection: ConnectionInfo) {
        acquisitions.add(1, ordering: .relaxed)
        given.withLock { $0[call.id, default: []].append(connection.id) }
    }
}
