import BenchSupport
import Foundation
import FoundationNetworking

/// URLSession (swift-corelibs-foundation over libcurl) with its defaults, as an application on
/// Linux would use it. It trusts only the system store (`/etc/ssl/certs/ca-certificates.crt`),
/// so `run.py` starts it in a private mount namespace where that file is the bench CA.
let arguments = BenchArguments()
let configuration = URLSessionConfiguration.ephemeral
configuration.httpMaximumConnectionsPerHost = arguments.concurrency
configuration.urlCache = nil
configuration.timeoutIntervalForRequest = 60
let counter = ByteCounter()
let session = URLSession(configuration: configuration, delegate: counter, delegateQueue: nil)
let uploadPath = getenv("BENCH_UPLOAD_FILE").map { String(cString: $0) }
if arguments.mode == "upload" && uploadPath == nil {
    print("URLSessionBench needs BENCH_UPLOAD_FILE (a file of BenchArguments.uploadSize bytes) to upload")
    exit(2)
}

/// A request for one call: an upload needs a stream of its own each time.
@Sendable func makeRequest() -> URLRequest {
    var request = URLRequest(url: URL(string: arguments.url)!)
    if arguments.closesConnections { request.setValue("close", forHTTPHeaderField: "Connection") }
    if arguments.mode == "upload", let uploadPath {
        request.httpMethod = "POST"
        // Sent chunked: with a Content-Length set as well, URLSession sends both headers and
        // nginx rightly refuses the request.
        request.httpBodyStream = InputStream(fileAtPath: uploadPath)
    }
    return request
}

let measurement = try await Runner.measure(arguments) { [session, counter] in
    try await counter.run(makeRequest(), in: session)
}
print(measurement.line)

/// Counts body bytes as they arrive instead of collecting them, so a download is streamed as
/// with the other clients; each task's completion resumes its caller.
final class ByteCounter: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // Guarded by `lock`: URLSession calls the delegate on its own queue, callers add tasks from any thread.
    private let lock = NSLock()
    private var pending: [Int: (continuation: CheckedContinuation<Int, any Error>, bytes: Int)] = [:]

    func run(_ request: URLRequest, in session: URLSession) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: request)
            lock.withLock { pending[task.taskIdentifier] = (continuation, 0) }
            task.resume()
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.withLock { pending[dataTask.taskIdentifier]?.bytes += data.count }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let entry = lock.withLock({ pending.removeValue(forKey: task.taskIdentifier) }) else { return }
        if let error {
            entry.continuation.resume(throwing: error)
        } else if let response = task.response as? HTTPURLResponse, response.statusCode != 200 {
            entry.continuation.resume(throwing: URLError(.badServerResponse))
        } else {
            entry.continuation.resume(returning: entry.bytes)
        }
    }
}
