/// Runs the timed part of a benchmark off the main actor, so that no iteration pays a hop to it.
public enum Runner {
    /// Warms up with one untimed request (`concurrency` at once in the concurrent mode), then runs
    /// `arguments.count` requests and returns the measurement.
    public static func measure(
        _ arguments: BenchArguments,
        fetch: @escaping @Sendable () async throws -> Int
    ) async throws -> Measurement {
        // With requests in flight, as many at once: every client has then opened its connections
        // (and done its handshakes) before the clock starts.
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<(arguments.mode == "concurrent" ? arguments.concurrency : 1) {
                group.addTask { try await fetch() }
            }
            try await group.waitForAll()
        }
        let start = ProcessSample.now()
        let wallStart = monotonicSeconds()
        var bytes = 0
        if arguments.mode == "concurrent" {
            let counter = Counter(total: arguments.count)
            bytes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<arguments.concurrency {
                    group.addTask {
                        var received = 0
                        while counter.take() { received += try await fetch() }
                        return received
                    }
                }
                var total = 0
                for try await received in group { total += received }
                return total
            }
        } else {
            for _ in 0..<arguments.count { bytes += try await fetch() }
        }
        if arguments.mode == "upload" { bytes = arguments.count * BenchArguments.uploadSize }
        return Measurement(
            requests: arguments.count,
            bytes: bytes,
            wallSeconds: monotonicSeconds() - wallStart,
            start: start,
            end: ProcessSample.now()
        )
    }
}
