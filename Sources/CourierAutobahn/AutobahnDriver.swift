import Courier

/// The fuzzing server's client protocol (shared/conformance/autobahn/README.md): every step is a
/// WebSocket to a path of the server.
struct AutobahnDriver: Sendable {
    /// How one case's WebSocket ended, as the client saw it. Ending with an error is normal for
    /// many cases (the server fails the client on purpose, or the client fails the server on a
    /// protocol violation); the server's verdict, not this, says whether the case passed.
    enum Outcome: Sendable, CustomStringConvertible {
        case closedNormally
        case failed(String)
        /// Cancelled at its timeout.
        case timedOut
        /// Still running 10 s after it was cancelled.
        case hung

        var description: String {
            switch self {
            case .closedNormally: "closed normally"
            case .failed(let error): "ended with \(error)"
            case .timedOut: "TIMED OUT"
            case .hung: "HUNG: ignored its cancellation; abandoned"
            }
        }
    }

    let client: HTTPClient
    let base: String
    let agent: String

    /// `/getCaseCount`: the number of cases the server's spec selected, in one text message.
    func caseCount() async throws -> Int {
        let socket = try await client.webSocket(request("/getCaseCount"))
        var count: Int?
        for try await message in socket.messages {
            if case .text(let text) = message { count = Int(text) }
        }
        guard let count else { throw AutobahnProtocolError(description: "/getCaseCount sent no number") }
        return count
    }

    /// `/getCaseInfo`: the case's id ("6.4.3"), for the log.
    func caseID(_ index: Int) async throws -> String {
        struct Info: Decodable { let id: String }
        let socket = try await client.webSocket(request("/getCaseInfo?case=\(index)"))
        var id = "?"
        for try await message in socket.messages {
            if case .text(let text) = message { id = try JSONDecoder().decode(Info.self, from: Data(text.utf8)).id }
        }
        return id
    }

    /// `/runCase`: echoes every message back, as the same type, until the server closes. Bounded
    /// by `timeout`: the case is cancelled then, and abandoned (left running) if it has not ended
    /// 10 s later, so that one hang cannot stall the run.
    func run(case index: Int, timeout: Duration) async -> Outcome {
        let running = Task { try await echo(request("/runCase?case=\(index)&agent=\(agent)")) }
        let (outcomes, reporter) = AsyncStream.makeStream(of: Outcome.self)
        let waiter = Task {
            switch await running.result {
            case .success: reporter.yield(.closedNormally)
            case .failure where running.isCancelled: reporter.yield(.timedOut)
            case .failure(let error): reporter.yield(.failed(String(describing: error)))
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            running.cancel()
            try await Task.sleep(for: .seconds(10))
            reporter.yield(.hung)
        }
        defer {
            waiter.cancel()
            watchdog.cancel()
        }
        for await outcome in outcomes { return outcome }
        return .hung
    }

    /// `/updateReports`: the server writes index.json and the per-case reports, then closes.
    func updateReports() async throws {
        let socket = try await client.webSocket(request("/updateReports?agent=\(agent)"))
        for try await _ in socket.messages {}
    }

    private func echo(_ request: HTTPRequest) async throws {
        let socket = try await client.webSocket(request)
        var echoing = true
        for try await message in socket.messages where echoing {
            // A send fails once a close frame went either way; reading on lets the close handshake
            // finish, and the end of the messages says how the case ended.
            do { try await socket.send(message) } catch { echoing = false }
        }
    }

    private func request(_ path: String) -> HTTPRequest {
        HTTPRequest(url: URL(string: base + path)!)
    }
}

/// The fuzzing server did not follow its own protocol.
struct AutobahnProtocolError: Error, CustomStringConvertible {
    let description: String
}
