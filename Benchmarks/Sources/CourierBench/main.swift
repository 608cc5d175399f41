import BenchSupport
import Courier

let arguments = BenchArguments()
var configuration = HTTPClient.Configuration()
configuration.maxRequests = max(64, arguments.concurrency)
configuration.maxRequestsPerHost = arguments.concurrency
configuration.maxIdleConnections = arguments.concurrency
let client = HTTPClient(configuration: configuration)
let url = URL(string: arguments.url)!

let measurement = try await Runner.measure(arguments) { [client, url] in
    let response = try await client.send(HTTPRequest(url: url))
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.count }
    return bytes
}
print(measurement.line)
