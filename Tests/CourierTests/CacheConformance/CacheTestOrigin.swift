import Courier
import CourierTestServer
import Synchronization

/// The origin of the cache tests: answers `/test/<uuid>/…` request number `Req-Num` from that
/// test's configuration, writes magic dates from the test's clock (the one its cache reads, so
/// `pause_after` steps both instead of sleeping), answers a validation with 304 only when the
/// conditional matches the validator it sent before (999 otherwise, as upstream's origin does),
/// and records what it saw for the checks made at the origin.
final class CacheTestOrigin: Sendable {
    /// What the origin knows and saw of one running test.
    struct Run {
        let requests: [CacheTestRequest]
        let clock: ManualCacheClock
        let base: String
        let uuid: String
        /// Requests that reached the origin, by request number (the last one of each number).
        var seen: [Int: RecordedRequest] = [:]
        /// Requests that reached the origin, whatever their number.
        var count = 0
        /// Header fields and status the origin sent, by request number.
        var sent: [Int: (status: Int, headers: HTTPHeaders)] = [:]
    }

    static let magicDateFields: Set<String> = [
        "date", "expires", "last-modified", "if-modified-since", "if-unmodified-since",
    ]

    private let runs = Mutex<[String: Run]>([:])

    func start(uuid: String, requests: [CacheTestRequest], clock: ManualCacheClock, base: String) {
        runs.withLock { $0[uuid] = Run(requests: requests, clock: clock, base: base, uuid: uuid) }
    }

    func finish(uuid: String) -> Run? {
        runs.withLock { $0.removeValue(forKey: uuid) }
    }

    func snapshot(uuid: String) -> Run? {
        runs.withLock { $0[uuid] }
    }

    func answer(_ recorded: RecordedRequest) async -> MockResponse {
        let parts = recorded.path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0] == "test", let number = recorded.headers["Req-Num"].flatMap(Int.init) else {
            return MockResponse(status: .notFound, body: "not a cache test request")
        }
        let uuid = String(parts[1])
        guard let run = runs.withLock({ $0[uuid] }), (1...run.requests.count).contains(number) else {
            return MockResponse(status: .notFound, body: "unknown test or request number")
        }
        let config = run.requests[number - 1]
        if let pause = config.raw["response_pause"]?.number { run.clock.advance(by: pause) }
        let previous = runs.withLock { runs -> (status: Int, headers: HTTPHeaders)? in
            runs[uuid]?.seen[number] = recorded
            runs[uuid]?.count += 1
            return runs[uuid].flatMap { run in (1..<number).reversed().lazy.compactMap { run.sent[$0] }.first }
        }
        var headers = HTTPHeaders()
        for field in config.responseHeaders {
            guard field.count >= 2, let name = field[0].string else { continue }
            headers.add(name, render(name, field[1], config: config, run: run))
        }
        if !headers.contains("Content-Type") { headers.add("Content-Type", "text/plain") }
        if !headers.contains("Date") { headers.add("Date", CookieDate.format(run.clock.now)) }
        let count = runs.withLock { $0[uuid]?.count ?? 0 }
        headers.add("Server-Request-Count", String(count))
        headers.add("Client-Request-Count", String(number))
        headers.add("Server-Now", CookieDate.format(run.clock.now))
        var status = statusCode(config)
        if let type = config.expectedType, type.hasSuffix("validated") {
            status = validated(type, recorded.headers, previous?.headers ?? [:]) ? status : 999
        }
        runs.withLock { $0[uuid]?.sent[number] = (status, headers) }
        if config.flag("disconnect") { return MockResponse().policy(.disconnectAfterRequest) }
        let body =
            [204, 304].contains(status) || recorded.method == .head
            ? [] : Array((config.string("response_body") ?? uuid).utf8)
        let reason = config.list("response_status")?.dropFirst().first?.string ?? ""
        let httpStatus = HTTPStatus(code: status, reasonPhrase: status == 999 ? "Conditional Not Matched" : reason)
        if let interim = config.list("interim_responses"), !interim.isEmpty {
            return MockResponse(rawBytes: raw(interim: interim, status: httpStatus, headers: headers, body: body))
        }
        if headers.contains("Transfer-Encoding") {
            // Upstream's Node origin then sends no Content-Length and leaves the coding unapplied,
            // so the body runs until the connection closes.
            return MockResponse(rawBytes: raw(interim: [], status: httpStatus, headers: headers, body: body))
                .policy(.closeAfterResponse)
        }
        return MockResponse(status: httpStatus, headers: headers, body: body)
    }

    private func statusCode(_ config: CacheTestRequest) -> Int {
        if let code = config.list("response_status")?.first?.number { return Int(code) }
        if let type = config.expectedType, type.hasSuffix("validated") { return 304 }
        return 200
    }

    /// Whether the request carries the validator of the response the origin sent before.
    private func validated(_ type: String, _ request: HTTPHeaders, _ previous: HTTPHeaders) -> Bool {
        if type == "etag_validated" {
            guard let etag = previous["ETag"] else { return false }
            return request["If-None-Match"] == etag
        }
        guard let lastModified = previous["Last-Modified"] else { return false }
        return request["If-Modified-Since"] == lastModified
    }

    private func render(_ name: String, _ value: JSONValue, config: CacheTestRequest, run: Run) -> String {
        if let offset = value.number, CacheTestOrigin.magicDateFields.contains(name.lowercased()) {
            let date = run.clock.now + offset
            let rfc850 = (config.list("rfc850date") ?? []).contains { $0.string?.lowercased() == name.lowercased() }
            return rfc850 ? CacheTestOrigin.rfc850(date) : CookieDate.format(date)
        }
        let text = value.text
        if config.flag("magic_locations"), ["location", "content-location"].contains(name.lowercased()) {
            return "\(run.base)/test/\(run.uuid)/\(text)"
        }
        return text
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`, from the IMF-fixdate of the same instant.
    static func rfc850(_ date: Date) -> String {
        let parts = CookieDate.format(date).split(separator: " ")
        let days = [
            "Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday", "Fri": "Friday",
            "Sat": "Saturday", "Sun": "Sunday",
        ]
        let day = days[String(parts[0].dropLast())] ?? "Sunday"
        return "\(day), \(parts[1])-\(parts[2])-\(parts[3].suffix(2)) \(parts[4]) GMT"
    }

    private func raw(interim: [JSONValue], status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]) -> [UInt8] {
        var text = ""
        for response in interim {
            guard let fields = response.array, let code = fields.first?.number else { continue }
            text += "HTTP/1.1 \(Int(code)) \(HTTPStatus(code: Int(code)).reasonPhrase)\r\n"
            for field in fields.dropFirst().first?.array ?? [] {
                if let pair = field.array, pair.count >= 2 { text += "\(pair[0].text): \(pair[1].text)\r\n" }
            }
            text += "\r\n"
        }
        text += "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
        for field in headers { text += "\(field.name): \(field.value)\r\n" }
        if !headers.contains("Transfer-Encoding") { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + body
    }
}
