import CourierCore
import Dispatch
import Glibc

/// Logs calls, OkHttp's `HttpLoggingInterceptor` style.
///
/// ```swift
/// config.interceptors = [LoggingInterceptor(level: .headers)]
/// ```
///
/// - `.basic`: `--> GET https://example.com/ (12-byte body)` and `<-- 200 OK https://example.com/ (34 ms)`.
/// - `.headers`: also every header field, with the values of `redactedHeaders` replaced by `██`.
/// - `.body`: also bodies, when they are text (text/*, JSON, XML, forms) and only their first
///   `maxBodyBytes`. Response bodies are logged as the caller reads them, without buffering the
///   stream; the body line comes when the body ends.
///
/// As an application interceptor it sees each call once; as a network interceptor it sees each
/// exchange, with the headers the bridge added.
public struct LoggingInterceptor: Interceptor {
    public enum Level: Int, Comparable, Sendable {
        case none
        case basic
        case headers
        case body

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var level: Level
    /// Header names whose values are never logged (case-insensitive).
    public var redactedHeaders: Set<String>
    /// The most body bytes logged per message.
    public var maxBodyBytes: Int
    /// Where lines go; by default standard error, written off the cooperative pool.
    public var sink: @Sendable (String) -> Void

    public init(
        level: Level = .basic,
        redactedHeaders: Set<String> = ["Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"],
        maxBodyBytes: Int = 16 << 10,
        sink: @escaping @Sendable (String) -> Void = LoggingInterceptor.standardError
    ) {
        self.level = level
        self.redactedHeaders = Set(redactedHeaders.map { $0.lowercased() })
        self.maxBodyBytes = maxBodyBytes
        self.sink = sink
    }

    private static let output = DispatchQueue(label: "courier.logging")

    /// Writes a line to standard error on a serial queue of its own.
    public static let standardError: @Sendable (String) -> Void = { line in
        output.async {
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    public func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        guard level > .none else { return try await chain.proceed(request) }
        let url = request.url.absoluteString
        var lines = ["--> \(request.method) \(url)\(bodySummary(request.body))"]
        if level >= .headers { lines += headerLines(request.headers) }
        if level >= .body, case .bytes(let bytes) = request.body?.storage,
            isText(request.headers["Content-Type"] ?? request.body?.contentType)
        {
            lines.append(text(bytes))
        }
        lines.append("--> END \(request.method)")
        sink(lines.joined(separator: "\n"))

        let start = ContinuousClock.now
        var response: HTTPResponse
        do {
            response = try await chain.proceed(request)
        } catch {
            sink("<-- HTTP FAILED: \(error)")
            throw error
        }
        let elapsed = ContinuousClock.now - start
        var head = ["<-- \(response.status.code) \(response.status.reasonPhrase) \(url) (\(milliseconds(elapsed)) ms)"]
        if level >= .headers { head += headerLines(response.headers) }
        sink(head.joined(separator: "\n"))
        if level >= .body, let source = response.body.source {
            let logged = isText(response.headers["Content-Type"])
            response.body = HTTPResponse.Body(
                source: LoggedBody(inner: source, logText: logged, limit: maxBodyBytes, sink: sink))
        }
        return response
    }

    private func bodySummary(_ body: HTTPRequest.Body?) -> String {
        guard let body else { return "" }
        return body.length.map { " (\($0)-byte body)" } ?? " (streamed body)"
    }

    private func headerLines(_ headers: HTTPHeaders) -> [String] {
        headers.fields.map { field in
            "\(field.name): \(redactedHeaders.contains(field.name.lowercased()) ? "██" : field.value)"
        }
    }

    private func text(_ bytes: ByteBuffer) -> String {
        let shown = bytes.count > maxBodyBytes ? bytes.slice(from: 0, count: maxBodyBytes) : bytes
        return String(decoding: shown)
            + (bytes.count > maxBodyBytes ? "… (\(bytes.count - maxBodyBytes) more bytes)" : "")
    }

    private func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}

/// Whether a content type is text a person can read in a log.
func isText(_ contentType: String?) -> Bool {
    guard let type = contentType?.lowercased() else { return false }
    return type.hasPrefix("text/")
        || ["json", "xml", "x-www-form-urlencoded", "javascript"].contains { type.contains($0) }
}

/// A response body that logs itself when it ends: its size, and its first bytes if it is text.
/// `reader` admits one reader at a time, which makes the `@unchecked Sendable` safe.
private final class LoggedBody: HTTPBodySource, @unchecked Sendable {
    private let inner: any HTTPBodySource
    private let logText: Bool
    private let limit: Int
    private let sink: @Sendable (String) -> Void
    private var captured: [UInt8] = []
    private var total = 0
    private let reader = SingleReader()

    init(inner: any HTTPBodySource, logText: Bool, limit: Int, sink: @escaping @Sendable (String) -> Void) {
        self.inner = inner
        self.logText = logText
        self.limit = limit
        self.sink = sink
    }

    func read() async throws -> ByteBuffer? {
        try reader.enter()
        defer { reader.leave() }
        do {
            guard let chunk = try await inner.read() else {
                let text = logText ? String(decoding: captured, as: UTF8.self) + (total > limit ? "…" : "") + "\n" : ""
                sink("\(text)<-- END HTTP (\(total)-byte body)")
                return nil
            }
            total += chunk.count
            if logText && captured.count < limit { captured.append(contentsOf: chunk.prefix(limit - captured.count)) }
            return chunk
        } catch {
            sink("<-- HTTP FAILED while reading the body: \(error)")
            throw error
        }
    }

    var trailers: HTTPHeaders { inner.trailers }

    func abandon() async {
        await inner.abandon()
    }
}
