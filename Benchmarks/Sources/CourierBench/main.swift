import BenchSupport
import Courier

let arguments = BenchArguments()
var configuration = HTTPClient.Configuration()
configuration.maxRequests = max(64, arguments.concurrency)
configuration.maxRequestsPerHost = arguments.concurrency
configuration.maxIdleConnections = arguments.concurrency
let client = HTTPClient(configuration: configuration)
let url = URL(string: arguments.url)!

@Sendable func fetch() async throws -> Int {
    let response = try await client.send(HTTPRequest(url: url))
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.count }
    return bytes
}

_ = try await fetch()  // warm-up: connection, reactor and allocator
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
