import AsyncHTTPClient
import BenchSupport

let arguments = BenchArguments()
var configuration = HTTPClient.Configuration()
// AHC allows 8 HTTP/1.1 connections per host by default; match the concurrency for a fair comparison.
configuration.connectionPool = .init(
    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: arguments.concurrency)
configuration.httpVersion = .http1Only
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
let url = arguments.url

let measurement = try await Runner.measure(arguments) { [client, url] in
    let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.readableBytes }
    return bytes
}
print(measurement.line)
try await client.shutdown()
