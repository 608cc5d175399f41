import AsyncHTTPClient
import BenchSupport

let arguments = BenchArguments()
var configuration = HTTPClient.Configuration()
// AHC allows 8 HTTP/1.1 connections per host by default; match Courier's concurrency for fairness.
configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: arguments.concurrency)
configuration.httpVersion = .http1Only
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

@Sendable func fetch() async throws -> Int {
    let response = try await client.execute(HTTPClientRequest(url: arguments.url), timeout: .seconds(30))
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.readableBytes }
    return bytes
}

_ = try await fetch()
let cpuStart = processCPUSeconds()
let wallStart = monotonicSeconds()
var bytes = 0
switch arguments.mode {
case "concurrent":
    let counter = Counter(total: arguments.count)
    bytes = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<arguments.concurrency {
            group.addTask {
                var received = 0
                while counter.take() { received += try await fetch() }
                return received
            }
        }
        return try await group.reduce(0, +)
    }
default:
    for _ in 0..<arguments.count { bytes += try await fetch() }
}
let measurement = Measurement(
    requests: arguments.count,
    bytes: bytes,
    wallSeconds: monotonicSeconds() - wallStart,
    cpuSeconds: processCPUSeconds() - cpuStart,
    peakRSSBytes: peakRSSBytes()
)
print(measurement.line)
try await client.shutdown()
