import Courier
import CourierTestServer
import Glibc
import Synchronization
import Testing

extension ProcessWide {
    /// Many calls against a server that resets, stalls, truncates, corrupts and trickles, while the
    /// callers cancel and time out at random: every call must end, with the whole body or a
    /// precise error, and nothing may leak.
    ///
    /// `COURIER_CHAOS_CALLS` sets the number of calls over plain TCP (CI runs the default); TLS
    /// runs a fifth as many, since a handshake and record crypto cost about three plain calls in a
    /// debug build. `COURIER_CHAOS_SEED` replays a run: the server's plan for each target depends
    /// only on the seed, which is printed first, so a call that broke the contract is replayed with
    /// `COURIER_CHAOS_SEED=<seed> swift test --filter ProcessWide/ChaosTests` (its caller's mode
    /// and timing are random; the failure message names them).
    @Suite("Chaos")
    struct ChaosTests {
        /// The client's per-host limit: the calls running at once, and so its busy connections.
        static let maxRequestsPerHost = 32
        /// Callers at once: more than the limit, so some calls wait (and are cancelled) in the
        /// dispatcher's queue and the limit is enforced rather than never reached.
        static let callers = 40
        /// The client's read timeout when a call sets none shorter: what ends a stalled call.
        static let readTimeout = Duration.seconds(1)
        /// Resident-set growth allowed between the end of the warm-up half and the end of the run
        /// (measured: 0–2 MiB for 10,000 calls, 1 MiB for 50,000).
        static let residentGrowthLimit = 16 << 20

        /// Errors a call may end with under chaos; anything else (another kind, another type, a
        /// body accepted short) is a client bug. Each call is held to a narrower set still: the
        /// errors its fault and its caller explain (see `ChaosRun.allows`).
        static let allowedKinds: Set<HTTPClientError.Kind> = [
            .connectionReset, .connectionClosed, .timeout(.read), .timeout(.call),
            .protocolViolation(.truncatedBody), .protocolViolation(.malformedStatusLine),
            .protocolViolation(.malformedHeader), .protocolViolation(.invalidContentLength),
            .protocolViolation(.conflictingFraming), .protocolViolation(.invalidChunk),
        ]

        /// How the chaos server is reached: resets and truncations strike TLS records too.
        enum Transport: CaseIterable, Sendable {
            case plain, tls
        }

        @Test(
            "Every call ends with its whole body or a precise error; descriptors, tasks, RSS and the pool stay bounded",
            arguments: Transport.allCases)
        func chaos(over transport: Transport) async throws {
            let plainCalls = Self.environment("COURIER_CHAOS_CALLS").flatMap { Int($0) } ?? 10_000
            let total =
                switch transport {
                case .plain: plainCalls
                case .tls: plainCalls / 5
                }
            let chaos = TestServer.Chaos(
                seed: Self.environment("COURIER_CHAOS_SEED").flatMap { UInt64($0) } ?? .random(in: 0 ... .max))
            let name = "chaos over \(transport)"
            print(
                "\(name): seed \(chaos.seed), \(total) calls from \(Self.callers) callers, \(Self.maxRequestsPerHost) per host"
            )
            try await ProcessWide.warmUp()
            let baseline = ProcessProbe.openDescriptors()
            let run = ChaosRun(chaos: chaos)
            let started = ContinuousClock.now
            let figures: Figures
            do {
                figures = try await withTimeout(.seconds(120 + total / 100)) {
                    try await Self.drive(run, calls: total, over: transport)
                }
            } catch let error as TestTimedOut {
                Issue.record(
                    "\(error); seed \(chaos.seed); calls still running:\n\(run.inFlight.joined(separator: "\n"))")
                return
            }
            let elapsed = ContinuousClock.now - started
            let descriptors = ProcessProbe.openDescriptors()
            let tally = run.tally
            print("\(name): seed \(chaos.seed), \(total) calls in \(elapsed)")
            print("\(name), outcomes: \(Self.format(tally.outcomes))")
            print("\(name), faults → outcomes:\n  \(Self.format(tally.byFault, separator: "\n  "))")
            print(
                "\(name): descriptors \(baseline.count) before, \(descriptors.count) after;",
                "RSS \(figures.residentAfterWarmUp >> 20) MiB after the warm-up half,",
                "\(figures.residentAtEnd >> 20) MiB at the end; peak connections: pool \(figures.poolPeak),",
                "client sockets \(figures.socketPeak), server \(figures.serverPeak)"
            )
            #expect(tally.outcomes.values.reduce(0, +) == total)
            #expect(
                run.violations.isEmpty,
                """
                seed \(chaos.seed): \(run.violations.count) calls broke the contract:
                \(run.violations.prefix(20).joined(separator: "\n"))
                """
            )
            #expect(figures.residentAtEnd - figures.residentAfterWarmUp < Self.residentGrowthLimit)
            let connectionLimit = Self.maxRequestsPerHost + HTTPClient.Configuration().maxIdleConnections
            #expect(figures.poolPeak <= connectionLimit)
            #expect(figures.socketPeak <= connectionLimit)
            #expect(
                descriptors.count == baseline.count,
                """
                opened: \(descriptors.filter { baseline[$0.key] != $0.value })
                closed: \(baseline.filter { descriptors[$0.key] != $0.value })
                """
            )
        }

        @Test("A plan depends only on the seed and the target; a zero weight turns its fault off")
        func plans() {
            let seed = UInt64.random(in: 0 ... .max)
            let targets = (0..<1000).map { "/chaos/\($0)" }
            let chaos = TestServer.Chaos(seed: seed)
            let again = TestServer.Chaos(seed: seed)
            #expect(targets.map(chaos.plan(for:)) == targets.map(again.plan(for:)), "seed \(seed)")
            // Bodies compare byte by byte, slowly in a debug build: a few show the pattern is the seed's.
            #expect(
                targets.prefix(20).allSatisfy {
                    chaos.body(of: chaos.plan(for: $0)) == again.body(of: again.plan(for: $0))
                })
            var resetsOnly = TestServer.Chaos.Weights()
            (resetsOnly.normal, resetsOnly.closeAfterResponse, resetsOnly.trickle) = (0, 0, 0)
            (resetsOnly.stall, resetsOnly.truncate, resetsOnly.corrupt) = (0, 0, 0)
            let resetting = TestServer.Chaos(seed: seed, weights: resetsOnly)
            for target in targets {
                let plan = resetting.plan(for: target)
                guard case .reset = plan.fault else {
                    Issue.record("seed \(seed), \(target): \(plan)")
                    return
                }
                #expect(plan.bodySize <= resetting.maxBodySize && resetting.body(of: plan).count == plan.bodySize)
            }
        }

        /// Figures measured during the run.
        struct Figures: Sendable {
            var residentAfterWarmUp = 0
            var residentAtEnd = 0
            /// The most connections the client's pool counted at once (busy and idle).
            var poolPeak = 0
            /// The most sockets of this process connected to the server at once: the client's
            /// connections, counted by the kernel rather than by the pool.
            var socketPeak = 0
            /// The most connections the server had open at once. It notices a close only when
            /// its connection task next runs, so it trails the client and is reported, not bounded.
            var serverPeak = 0
        }

        /// Runs the calls in two halves (the first warms up the allocator, the pool and the
        /// server), checks the client's and the server's counts, and shuts both down.
        private static func drive(_ run: ChaosRun, calls total: Int, over transport: Transport) async throws -> Figures
        {
            var configuration = HTTPClient.Configuration()
            configuration.maxRequestsPerHost = maxRequestsPerHost
            configuration.readTimeout = readTimeout
            let server: TestServer
            switch transport {
            case .plain:
                server = try await TestServer(chaos: run.chaos)
            case .tls:
                let identity = try HeldCertificate.leaf(issuedBy: TLSTests.authority).identity
                server = try await TestServer(tls: .init(identity: identity), chaos: run.chaos)
                configuration.tls.trustRoots = [TLSTests.authority.certificate]
            }
            let client = HTTPClient(configuration: configuration)
            let peaks = Mutex((pool: 0, sockets: 0))
            let monitor = Task {
                while !Task.isCancelled {
                    let pool = await client.openConnectionCount
                    let sockets = socketCount(connectedTo: server.port)
                    peaks.withLock { $0 = (max($0.pool, pool), max($0.sockets, sockets)) }
                    try? await Task.sleep(for: .milliseconds(2))
                }
            }
            var figures = Figures()
            await run.calls(0..<(total / 2), client: client, server: server)
            figures.residentAfterWarmUp = ProcessProbe.residentSet().current
            await run.calls((total / 2)..<total, client: client, server: server)
            figures.residentAtEnd = ProcessProbe.residentSet().current
            monitor.cancel()
            await monitor.value
            #expect(await client.dispatcher.runningCallsCount == 0)
            #expect(await client.dispatcher.queuedCallsCount == 0)
            await client.shutdown()
            #expect(await client.openConnectionCount == 0)
            // Every connection the client dropped must close on the server's side too.
            do {
                try await withTimeout(.seconds(5)) { await server.connectionsClosed() }
            } catch {
                Issue.record("\(server.openConnectionCount) connections the client never closed")
            }
            (figures.poolPeak, figures.socketPeak) = peaks.withLock { $0 }
            figures.serverPeak = server.peakConnectionCount
            await server.shutdown()
            return figures
        }

        /// Sockets of this process whose peer is `port`: the client's side of its connections to
        /// the test server (the server's own sockets have the client's port as their peer).
        private static func socketCount(connectedTo port: Int) -> Int {
            ProcessProbe.descriptorNumbers().count { fd in
                var peer = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let named = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
                }
                return named && peer.sin_family == AF_INET && Int(UInt16(bigEndian: peer.sin_port)) == port
            }
        }

        private static func environment(_ name: String) -> String? {
            getenv(name).map { String(cString: $0) }
        }

        private static func format(_ counts: [String: Int], separator: String = ", ") -> String {
            counts.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: separator)
        }
    }
}

/// How a chaos call is driven by its caller.
private enum CallMode: CustomStringConvertible {
    /// Read the body to its end.
    case readToEnd
    /// Cancel the call's task after this long, in whatever phase it is.
    case cancelAfter(Duration)
    /// Cancel the call's task once this many body bytes have arrived.
    case cancelAfterBytes(Int)
    case callTimeout(Duration)
    case readTimeout(Duration)

    static func random(bodySize: Int) -> CallMode {
        switch Int.random(in: 0..<20) {
        case 0..<8: .readToEnd
        case 8..<11: .cancelAfter(.microseconds(Int.random(in: 0...20_000)))
        case 11..<14: .cancelAfterBytes(Int.random(in: 0..<max(1, bodySize)))
        case 14..<17: .callTimeout(.microseconds(Int.random(in: 500...300_000)))
        default: .readTimeout(.microseconds(Int.random(in: 500...100_000)))
        }
    }

    var cancels: Bool {
        switch self {
        case .cancelAfter, .cancelAfterBytes: true
        case .readToEnd, .callTimeout, .readTimeout: false
        }
    }

    var description: String {
        switch self {
        case .readToEnd: "read to the end"
        case .cancelAfter(let delay): "cancelled after \(delay)"
        case .cancelAfterBytes(let count): "cancelled after \(count) body bytes"
        case .callTimeout(let limit): "callTimeout \(limit)"
        case .readTimeout(let limit): "readTimeout \(limit)"
        }
    }
}

/// How a chaos call ended.
private enum CallOutcome: Hashable, CustomStringConvertible {
    /// The body ended and matched the plan's byte for byte.
    case complete
    case cancelled
    case failed(HTTPClientError.Kind)
    /// The body ended without an error but was short, long or different: accepted wrongly.
    case wrongBody(String)
    /// Something other than `HTTPClientError` or `CancellationError` was thrown.
    case unexpected(String)

    var description: String {
        switch self {
        case .complete: "complete"
        case .cancelled: "CancellationError"
        case .failed(let kind): "\(kind)"
        case .wrongBody(let detail): "WRONG BODY \(detail)"
        case .unexpected(let detail): "UNEXPECTED \(detail)"
        }
    }
}

/// The shared state of one chaos run: the call counter, the tallies, the contract violations
/// and the calls still running (printed if the run hangs). The locks make it `Sendable`.
private final class ChaosRun: Sendable {
    struct Tally {
        var outcomes: [String: Int] = [:]
        var byFault: [String: Int] = [:]
    }

    private struct State {
        var tally = Tally()
        var violations: [String] = []
        /// Labels of the calls running now, by number.
        var running: [Int: String] = [:]
    }

    let chaos: TestServer.Chaos
    /// The number of the next call to make.
    private let next = Atomic<Int>(0)
    private let state = Mutex(State())

    init(chaos: TestServer.Chaos) {
        self.chaos = chaos
    }

    var tally: Tally { state.withLock { $0.tally } }
    var violations: [String] { state.withLock { $0.violations } }
    var inFlight: [String] { state.withLock { $0.running.sorted { $0.key < $1.key }.map(\.value) } }

    /// Runs the calls numbered `range` from `ChaosTests.callers` tasks.
    func calls(_ range: Range<Int>, client: HTTPClient, server: TestServer) async {
        next.store(range.lowerBound, ordering: .relaxed)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<ProcessWide.ChaosTests.callers {
                group.addTask {
                    while true {
                        let index = self.next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < range.upperBound else { return }
                        await self.call(index, client: client, server: server)
                    }
                }
            }
        }
    }

    private func call(_ index: Int, client: HTTPClient, server: TestServer) async {
        let target = "/chaos/\(index)"
        let plan = chaos.plan(for: target)
        let mode = CallMode.random(bodySize: plan.bodySize)
        let label = "\(target) [\(plan)] \(mode)"
        state.withLock { $0.running[index] = label }
        let caller: HTTPClient
        switch mode {
        case .readToEnd, .cancelAfter, .cancelAfterBytes: caller = client
        case .callTimeout(let limit): caller = client.with { $0.callTimeout = limit }
        case .readTimeout(let limit): caller = client.with { $0.readTimeout = limit }
        }
        let expected = chaos.body(of: plan)
        let url = server.url(target)
        let work = Task { await ChaosRun.perform(HTTPRequest(url: url), with: caller, mode: mode, expecting: expected) }
        var canceller: Task<Void, Never>?
        if case .cancelAfter(let delay) = mode {
            canceller = Task {
                guard (try? await Task.sleep(for: delay)) != nil else { return }
                work.cancel()
            }
        }
        let outcome = await work.value
        canceller?.cancel()
        let allowed = ChaosRun.allows(outcome, plan: plan, mode: mode)
        state.withLock { state in
            state.running[index] = nil
            state.tally.outcomes["\(outcome)", default: 0] += 1
            state.tally.byFault["\(ChaosRun.family(of: plan.fault)) → \(outcome)", default: 0] += 1
            if !allowed { state.violations.append("\(label): \(outcome)") }
        }
    }

    /// Sends `request` and reads the body as `mode` says, checking every byte against `expected`.
    private static func perform(
        _ request: HTTPRequest, with client: HTTPClient, mode: CallMode, expecting expected: ByteBuffer
    ) async -> CallOutcome {
        do {
            let response = try await client.send(request)
            var received = 0
            var matches = response.status.code == 200
            if case .cancelAfterBytes(0) = mode { withUnsafeCurrentTask { $0?.cancel() } }
            for try await chunk in response.body {
                if matches {
                    matches =
                        received + chunk.count <= expected.count
                        && chunk.withUnsafeBytes { got in
                            expected.withUnsafeBytes {
                                memcmp(got.baseAddress!, $0.baseAddress! + received, got.count) == 0
                            }
                        }
                }
                received += chunk.count
                if case .cancelAfterBytes(let count) = mode, received >= count {
                    withUnsafeCurrentTask { $0?.cancel() }
                }
            }
            guard matches && received == expected.count else {
                return .wrongBody(
                    "status \(response.status.code), \(received) of \(expected.count) bytes, matching: \(matches)")
            }
            return .complete
        } catch is CancellationError {
            return .cancelled
        } catch let error as HTTPClientError {
            return .failed(error.kind)
        } catch {
            return .unexpected("\(type(of: error)): \(error)")
        }
    }

    /// Whether `outcome` keeps the contract for a call driven by `mode` against `plan`: a body
    /// only when the server sent a whole one, cancellation only when the caller cancelled, and
    /// only the errors that the fault or the caller's limits explain. A read timeout needs a
    /// short `readTimeout` or a stall: anything else waited a whole second for bytes that were
    /// sent, which is a lost wake-up, not chaos.
    private static func allows(_ outcome: CallOutcome, plan: TestServer.Chaos.Plan, mode: CallMode) -> Bool {
        switch outcome {
        case .complete: return plan.deliversResponse
        case .cancelled: return mode.cancels
        case .wrongBody, .unexpected: return false
        case .failed(let kind):
            guard ProcessWide.ChaosTests.allowedKinds.contains(kind) else { return false }
            switch (kind, mode, plan.fault) {
            case (.timeout(.read), .readTimeout, _), (.timeout(.read), _, .stall), (.timeout(.call), .callTimeout, _):
                return true
            default:
                return expectedFailure(of: plan.fault) == kind
            }
        }
    }

    /// The error a fault causes when no timeout or cancellation comes first; nil when it causes
    /// none (the response is whole, or a stall, which ends only at a timeout).
    private static func expectedFailure(of fault: TestServer.Chaos.Fault) -> HTTPClientError.Kind? {
        switch fault {
        case .none, .closeAfterResponse, .trickle, .stall: nil
        case .reset(.inBody): .connectionReset
        case .reset(.beforeHead), .reset(.inHead): .connectionClosed
        case .truncate(.inBody): .protocolViolation(.truncatedBody)
        case .truncate(.beforeHead), .truncate(.inHead): .connectionClosed
        case .corrupt(.malformedStatusLine): .protocolViolation(.malformedStatusLine)
        case .corrupt(.garbageInHeader): .protocolViolation(.malformedHeader)
        case .corrupt(.conflictingContentLength): .protocolViolation(.invalidContentLength)
        case .corrupt(.contentLengthAndChunked): .protocolViolation(.conflictingFraming)
        case .corrupt(.bogusChunkSize): .protocolViolation(.invalidChunk)
        }
    }

    /// A fault without its offsets, for the tally.
    private static func family(of fault: TestServer.Chaos.Fault) -> String {
        switch fault {
        case .none: "complete"
        case .closeAfterResponse: "closeAfterResponse"
        case .trickle: "trickle"
        case .reset(.beforeHead): "reset before head"
        case .reset(.inHead): "reset in head"
        case .reset(.inBody): "reset in body"
        case .stall(.beforeHead), .stall(.inHead): "stall before body"
        case .stall(.inBody): "stall in body"
        case .truncate: "truncate"
        case .corrupt(.malformedStatusLine): "corrupt status line"
        case .corrupt(.garbageInHeader): "corrupt header"
        case .corrupt(.conflictingContentLength): "conflicting Content-Length"
        case .corrupt(.contentLengthAndChunked): "Content-Length with chunked"
        case .corrupt(.bogusChunkSize): "bogus chunk size"
        }
    }
}
