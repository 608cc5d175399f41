import Courier
import CourierTestServer
import Testing

/// http-tests/cache-tests (Tests/Conformance/cache-tests) against Courier's cache: the test server
/// is the origin, every test gets a fresh cache and a clock shared by the cache and the origin.
/// Every `required` test that applies to a private client cache must pass; `optimal` and `check`
/// tests are reported. With `CACHE_TESTS_REPORT=path` set, the per-test table is written there
/// (Docs/Conformance.md's "HTTP caching" section is made from it).
@Suite("http-tests cache-tests")
struct CacheConformanceTests {
    @Test("Every required test that applies to a private cache passes")
    func suite() async throws {
        let suites = try CacheTestSuite.load()
        #expect(suites.reduce(0) { $0 + $1.tests.count } >= 300)
        let results = try await withTimeout(.seconds(120)) {
            let origin = CacheTestOrigin()
            let server = try await TestServer { await origin.answer($0) }
            var configuration = HTTPClient.Configuration()
            configuration.followRedirects = false
            configuration.retryOnConnectionFailure = false
            configuration.protocols = [.http1_1]
            let runner = CacheTestRunner(
                server: server, origin: origin, baseClient: HTTPClient(configuration: configuration))
            var results: [(suite: CacheTestSuite, test: CacheTest, outcome: CacheTestRunner.Outcome)] = []
            var byID: [String: CacheTestRunner.Outcome] = [:]
            for suite in suites {
                for test in suite.tests {
                    let outcome: CacheTestRunner.Outcome
                    if let reason = CacheTestRunner.skipReason(test) {
                        outcome = .skipped(reason)
                    } else if let failed = test.dependsOn.first(where: { byID[$0] != .pass }) {
                        // Run anyway, to show what the cache does; the grade stays upstream's.
                        let anyway = await runner.run(test)
                        let ran = anyway == .pass ? "passes" : "\(anyway.symbol): \(anyway.detail)"
                        outcome = .dependencyFailed(
                            "depends on \(failed) (\(byID[failed]?.symbol ?? "not run")); run anyway, it \(ran)")
                    } else {
                        outcome = await runner.run(test)
                    }
                    byID[test.id] = outcome
                    results.append((suite, test, outcome))
                }
            }
            await server.shutdown()
            return results
        }
        for result in results where result.test.kind == .required {
            switch result.outcome {
            case .pass, .skipped: continue
            default:
                Issue.record("\(result.test.id): \(result.outcome.symbol) — \(result.outcome.detail)")
            }
        }
        if let path = ProcessInfo.processInfo.environment["CACHE_TESTS_REPORT"] {
            try CacheConformanceReport(results: results.map { ($0.suite.id, $0.test, $0.outcome) }).markdown
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

/// The per-test table and the pass counts per kind, as Markdown.
struct CacheConformanceReport {
    let results: [(suite: String, test: CacheTest, outcome: CacheTestRunner.Outcome)]

    var markdown: String {
        var text =
            "| kind | run | pass | fail | setup failed | dependency failed | skipped |\n|---|---|---|---|---|---|---|\n"
        for kind in [CacheTest.Kind.required, .optimal, .check] {
            let ofKind = results.filter { $0.test.kind == kind }
            func count(_ symbol: String) -> Int { ofKind.filter { $0.outcome.symbol == symbol }.count }
            let skipped = count("skipped")
            text +=
                "| \(kind.rawValue) | \(ofKind.count - skipped) | \(count("pass")) | \(count("FAIL")) | \(count("setup failed")) | \(count("dependency failed")) | \(skipped) |\n"
        }
        text += "\n| suite | test | kind | result | detail |\n|---|---|---|---|---|\n"
        for result in results {
            let detail = result.outcome.detail.replacingOccurrences(of: "|", with: "\\|")
            text +=
                "| \(result.suite) | `\(result.test.id)` | \(result.test.kind.rawValue) | \(result.outcome.symbol) | \(detail) |\n"
        }
        return text
    }
}
