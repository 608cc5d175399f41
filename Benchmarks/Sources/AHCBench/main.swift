import AsyncHTTPClient
import BenchSupport
import NIOCore
import NIOSSL

let arguments = BenchArguments()
var configuration = HTTPClient.Configuration()
// AHC allows 8 HTTP/1.1 connections per host by default; match the concurrency for a fair comparison.
configuration.connectionPool = .init(
    idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: arguments.concurrency)
configuration.httpVersion = arguments.allowsHTTP2 ? .automatic : .http1Only
if let path = arguments.certificateAuthorityPath {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .file(path)
    configuration.tlsConfiguration = tls
}
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
var request = HTTPClientRequest(url: arguments.url)
if arguments.closesConnections { request.headers.add(name: "Connection", value: "close") }
if arguments.mode == "upload" {
    request.method = .POST
    request.body = .stream(
        UploadChunks().map { ByteBuffer(bytes: $0) },
        length: .known(Int64(BenchArguments.uploadSize))
    )
}

let measurement = try await Runner.measure(arguments) { [client, request] in
    let response = try await client.execute(request, timeout: .seconds(30))
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.readableBytes }
    return bytes
}
print(measurement.line)
try await client.shutdown().get()
