import BenchSupport
import Courier

let arguments = BenchArguments()
var configuration = HTTPClient.Configuration()
configuration.maxRequests = max(64, arguments.concurrency)
configuration.maxRequestsPerHost = arguments.concurrency
configuration.maxIdleConnections = arguments.concurrency
if let path = arguments.certificateAuthorityPath {
    configuration.tls.trustRoots = [
        try TLSCertificate(pem: String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
    ]
}
// HTTP/2 by ALPN over TLS; over cleartext, with prior knowledge (h2c).
if arguments.allowsHTTP2 {
    configuration.protocols = arguments.url.hasPrefix("https:") ? [.http2, .http1_1] : [.http2]
} else {
    configuration.protocols = [.http1_1]
}
// A disk cache in this folder answers the cache scenarios' requests (the runner warms it first).
if let directory = environment("BENCH_CACHE_DIR") {
    configuration.cache = try HTTPCache(directory: URL(fileURLWithPath: directory), maxSize: 64 << 20)
}
// The proxy scenarios: through tinyproxy (forwarding, or a CONNECT tunnel for https).
if let proxy = environment("BENCH_PROXY"), let colon = proxy.lastIndex(of: ":"),
    let port = Int(proxy[proxy.index(after: colon)...])
{
    configuration.proxy = .http(host: String(proxy[..<colon]), port: port)
}
// Scenario 0: every call answered before it looks for a connection, so what is measured is
// Courier's own cost of a call (dispatcher, interceptor chain, response body), without I/O.
if environment("BENCH_ANSWERED") == "1" { configuration.interceptors = [Answering()] }
let client = HTTPClient(configuration: configuration)
var request = HTTPRequest(url: URL(string: arguments.url)!)
if arguments.closesConnections { request.headers["Connection"] = "close" }
if arguments.mode == "upload" {
    request.method = .post
    request.body = .stream(UploadChunks(), length: BenchArguments.uploadSize)
}

let probe = environment("BENCH_PROBE") == "1" ? PoolProbe() : nil
probe?.start()
let measurement = try await Runner.measure(arguments) { [client, request] in
    let response = try await client.send(request)
    var bytes = 0
    for try await chunk in response.body { bytes += chunk.count }
    return bytes
}
print(measurement.line)
if let probe { print(await probe.stop()) }
if let cache = configuration.cache { print("CACHE hits=\(cache.hitCount) network=\(cache.networkCount)") }
