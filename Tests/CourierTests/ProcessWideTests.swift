import Courier
import CourierCore
import CourierTestServer
import Dispatch
import Synchronization
import Testing

/// Tests that measure the whole process (open descriptors, peak RSS). `make test` runs them in
/// their own `swift test` invocation, and the trait makes every suite nested here run one test
/// at a time, so nothing else skews the figures.
@Suite("ProcessWide", .serialized)
enum ProcessWide {
    /// Brings up the lazily started reactor and blocking pool so they are part of the baseline.
    ///
    /// Dispatch opens a timerfd for a clock the first time a timer on it is armed and keeps it, so
    /// a short sleep arms one here: it is part of the baseline rather than a leak at the end.
    static func warmUp() async throws {
        try await Task.sleep(for: .milliseconds(1))
        let server = try await TestServer { _ in MockResponse(body: "warm") }
        let client = HTTPClient()
        _ = try await client.send(HTTPRequest(url: server.url("/"))).body.string()
        await client.shutdown()
        await server.shutdown()
    }
}

extension ProcessWide {
    @Suite("Cancellation, descriptors and memory")
    struct CancellationTests {
        @Test("Cancelling while queued throws CancellationError and leaks nothing")
        func cancelWhileQueued() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout {
                let server = try await TestServer { _ in MockResponse(body: "held") }
                let client = HTTPClient().with { _ in }
                var configuration = HTTPClient.Configuration()
                configuration.maxRequestsPerHost = 1
                let limited = HTTPClient(configuration: configuration)
                let holder = try await limited.send(HTTPRequest(url: server.url("/hold")))
                let queued = Task { try await limited.send(HTTPRequest(url: server.url("/queued"))) }
                while await limited.dispatcher.queuedCallsCount == 0 { await Task.yield() }
                queued.cancel()
                await #expect(throws: CancellationError.self) { try await queued.value }
                #expect(await limited.dispatcher.queuedCallsCount == 0)
                #expect(try await holder.body.string() == "held")
                #expect(server.requestCount == 1)
                await limited.shutdown()
                await client.shutdown()
                await server.shutdown()
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }

        @Test("A TLS context waiting for a busy blocking pool does not hold a call past its callTimeout")
        func tlsContextWaitHonoursCallTimeout() async throws {
            try await ProcessWide.warmUp()
            // Both of the shared pool's threads busy, as behind two lookups of a slow resolver;
            // freed however the test ends, or the suite's later tests would find no thread.
            let release = DispatchSemaphore(value: 0)
            defer { for _ in 0..<2 { release.signal() } }
            try await withTimeout {
                let server = try await Transport.https.server { _ in MockResponse(body: "late") }
                for _ in 0..<2 { BlockingWorkPool.shared.submit { release.wait() } }
                let client = Transport.https.client { $0.callTimeout = .milliseconds(300) }
                let started = ContinuousClock.now
                let error = await #expect(throws: HTTPClientError.self) {
                    try await client.send(HTTPRequest(url: server.url("/")))
                }
                let elapsed = ContinuousClock.now - started
                release.signal()
                release.signal()
                #expect(error?.kind == .timeout(.call))
                #expect(elapsed < .seconds(10), "\(elapsed)")
                // With the pool free again, the same client connects.
                let patient = client.with { $0.callTimeout = nil }
                #expect(try await patient.send(HTTPRequest(url: server.url("/"))).body.string() == "late")
                await server.shutdown()
            }
        }

        @Test("Cancelling while connecting throws CancellationError and leaks nothing")
        func cancelWhileConnecting() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout {
                let listener = try FullBacklogListener()
                let connecting = ConnectStartSignal()
                var configuration = HTTPClient.Configuration()
                configuration.connectTimeout = .seconds(60)
                configuration.eventListener = connecting
                let port = listener.port
                configuration.dnsResolver = ScriptedResolver { _, _ in [ResolvedAddress(ip: "127.0.0.1", port: port)] }
                let client = HTTPClient(configuration: configuration)
                let call = Task {
                    try await client.send(HTTPRequest(url: URL(string: "http://stalled.test:\(port)/")!))
                }
                await connecting.started()
                call.cancel()
                await #expect(throws: CancellationError.self) { try await call.value }
                #expect(!connecting.connected)
                #expect(await client.openConnectionCount == 0)
                #expect(await client.dispatcher.runningCallsCount == 0)
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }

        @Test("Cancelling during the TLS handshake throws CancellationError and leaks nothing")
        func cancelWhileHandshaking() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout {
                let silent = try StalledReader()
                let handshaking = ConnectStartSignal(secure: true)
                var configuration = HTTPClient.Configuration()
                configuration.connectTimeout = .seconds(60)
                configuration.tls.trustRoots = [TLSTests.authority.certificate]
                configuration.eventListener = handshaking
                let client = HTTPClient(configuration: configuration)
                let call = Task {
                    try await client.send(HTTPRequest(url: URL(string: "https://127.0.0.1:\(silent.port)/")!))
                }
                await handshaking.started()
                call.cancel()
                await #expect(throws: CancellationError.self) { try await call.value }
                #expect(!handshaking.connected)
                #expect(await client.openConnectionCount == 0)
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }

        @Test("Cancelling while waiting for the response head throws CancellationError and leaks nothing")
        func cancelWhileWaitingForHeaders() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout {
                let server = try await TestServer()
                server.enqueue(MockResponse().policy(.noResponse))
                let client = HTTPClient()
                let call = Task { try await client.send(HTTPRequest(url: server.url("/stall"))) }
                _ = try await server.takeRequest()
                call.cancel()
                await #expect(throws: CancellationError.self) { try await call.value }
                #expect(await client.openConnectionCount == 0)
                await server.shutdown()
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }

        @Test("Cancelling while reading the body throws CancellationError and leaks nothing")
        func cancelWhileReadingBody() async throws {
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout {
                let server = try await TestServer { _ in
                    MockResponse(length: 1 << 20) { writer in
                        try await writer.write([UInt8](repeating: 1, count: 1000))
                        try await Task.sleep(for: .seconds(3600))
                    }
                }
                let client = HTTPClient()
                let firstChunk = AsyncStream<Void>.makeStream()
                let reader = Task {
                    let response = try await client.send(HTTPRequest(url: server.url("/slow")))
                    var received = 0
                    for try await chunk in response.body {
                        received += chunk.count
                        firstChunk.continuation.yield()
                    }
                    return received
                }
                var iterator = firstChunk.stream.makeAsyncIterator()
                await iterator.next()
                reader.cancel()
                await #expect(throws: CancellationError.self) { try await reader.value }
                #expect(await client.openConnectionCount == 0)
                #expect(await client.dispatcher.runningCallsCount == 0)
                await server.shutdown()
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
        }

        @Test("A 1 GiB body streams with flat memory")
        func gigabyteStream() async throws {
            try await ProcessWide.warmUp()
            let size = 1 << 30
            try await withTimeout(.seconds(120)) {
                let block = [UInt8](repeating: 0x5A, count: 256 << 10)
                let server = try await TestServer { _ in
                    MockResponse(length: size) { writer in
                        for _ in 0..<(size / block.count) { try await writer.write(block) }
                    }
                }
                let client = HTTPClient()
                ProcessProbe.resetPeakResident()
                let before = ProcessProbe.residentSet().current
                let response = try await client.send(HTTPRequest(url: server.url("/gigabyte")))
                var received = 0
                for try await chunk in response.body { received += chunk.count }
                let growth = ProcessProbe.residentSet().peak - before
                #expect(received == size)
                #expect(growth < 64 << 20, "peak RSS grew by \(growth >> 20) MiB")
                await server.shutdown()
            }
        }

        @Test("A body that decompresses 1000:1 is decoded as it is read, with flat memory")
        func expandingBody() async throws {
            try await ProcessWide.warmUp()
            // Eight gzip members of 64 MiB of zeros each: about 512 KiB on the wire for 512 MiB.
            let member = try CompressionTests.fixture("bomb.gz")
            let encoded = [[UInt8]](repeating: member, count: 8).flatMap { $0 }
            try await withTimeout(.seconds(120)) {
                let server = try await TestServer { _ in
                    MockResponse(headers: ["Content-Encoding": "gzip"], body: encoded)
                }
                let client = HTTPClient().with { $0.decompressionLimit = DecompressionLimit(maxRatio: nil) }
                ProcessProbe.resetPeakResident()
                let before = ProcessProbe.residentSet().current
                let response = try await client.send(HTTPRequest(url: server.url("/")))
                var received = 0
                for try await chunk in response.body { received += chunk.count }
                let growth = ProcessProbe.residentSet().peak - before
                #expect(received == 8 * (64 << 20))
                #expect(growth < 64 << 20, "peak RSS grew by \(growth >> 20) MiB")
                await server.shutdown()
            }
        }
    }
}

/// Signals when a connection attempt (or its TLS handshake) starts, so a test can cancel exactly
/// in that phase, and records whether the connection was ever established.
final class ConnectStartSignal: EventListener {
    private let stream = AsyncStream<Void>.makeStream()
    private let connectEnds = Mutex(0)
    private let secure: Bool

    /// `secure`: signal at `secureConnectStart` instead of `connectStart`.
    init(secure: Bool = false) {
        self.secure = secure
    }

    func connectStart(_ call: CallInfo, route: Route) { if !secure { stream.continuation.yield() } }
    func secureConnectStart(_ call: CallInfo) { if secure { stream.continuation.yield() } }
    func connectEnd(_ call: CallInfo, route: Route, version: HTTPVersion) { connectEnds.withLock { $0 += 1 } }

    /// Returns once the phase has started.
    func started() async {
        var iterator = stream.stream.makeAsyncIterator()
        await iterator.next()
    }

    var connected: Bool { connectEnds.withLock { $0 > 0 } }
}
