import Courier
import CourierCache
import CourierTestServer

/// Runs one cache test the way upstream's client does: each request in order against the origin,
/// through a client whose cache is fresh for the test, then the test's checks on the response and
/// on what reached the origin. The first failed check ends the test.
struct CacheTestRunner {
    enum Outcome: Equatable, Sendable {
        case pass
        case fail(String)
        /// A check of a setup request (or one named in `setup_tests`) failed.
        case setupFail(String)
        case dependencyFailed(String)
        case skipped(String)

        var symbol: String {
            switch self {
            case .pass: "pass"
            case .fail: "FAIL"
            case .setupFail: "setup failed"
            case .dependencyFailed: "dependency failed"
            case .skipped: "skipped"
            }
        }

        var detail: String {
            switch self {
            case .pass: ""
            case .fail(let reason), .setupFail(let reason), .dependencyFailed(let reason), .skipped(let reason): reason
            }
        }
    }

    /// A failed check: what it was (for `setup_tests`) and what went wrong.
    struct CheckFailed: Error {
        let check: String
        let message: String
    }

    let server: TestServer
    let origin: CacheTestOrigin
    let baseClient: HTTPClient

    /// Why a test does not apply to a private client cache, or nil when it does. The five
    /// `browser_only` tests are private-cache tests and run (a fetch `cache: "no-cache"` is sent
    /// as the `Cache-Control: max-age=0` a browser sends for it).
    static func skipReason(_ test: CacheTest) -> String? {
        if test.cdnOnly { return "CDN only (CDN-Cache-Control)" }
        let name = test.name.lowercased()
        if name.contains("shared http cache") || name.contains("http shared cache") {
            return "shared caches only; Courier's cache is private"
        }
        return nil
    }

    func run(_ test: CacheTest) async -> Outcome {
        let uuid = UUID().uuidString.lowercased()
        let clock = ManualCacheClock(Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
        let cache = HTTPCache(store: InMemoryCacheStore(maxSize: 10 << 20), clock: clock.cacheClock)
        let client = baseClient.with { $0.cache = cache }
        let base = "http://\(server.host):\(server.port)"
        origin.start(uuid: uuid, requests: test.requests, clock: clock, base: base)
        defer { _ = origin.finish(uuid: uuid) }
        for (index, config) in test.requests.enumerated() {
            do {
                try await exchange(config, number: index + 1, uuid: uuid, clock: clock, client: client)
            } catch let failed as CheckFailed {
                let message = "request \(index + 1): \(failed.message)"
                return config.isSetup || failed.check == "setup" || config.setupTests.contains(failed.check)
                    ? .setupFail(message) : .fail(message)
            } catch {
                return .fail("request \(index + 1): \(error)")
            }
            // What a stale-while-revalidate hit started in the background is done before the
            // next request, as upstream's 3 s pause leaves it time to be.
            await cache.backgroundWorkFinished()
            if config.flag("pause_after") { clock.advance(by: 3) }
        }
        return .pass
    }

    private func exchange(
        _ config: CacheTestRequest, number: Int, uuid: String, clock: ManualCacheClock, client: HTTPClient
    ) async throws {
        var path = "/test/\(uuid)/\(config.string("filename") ?? "")"
        if let query = config.string("query_arg") { path += "?" + query }
        var request = HTTPRequest(
            method: config.method, url: URL(string: "http://\(server.host):\(server.port)\(path)")!)
        for field in config.requestHeaders where field.count >= 2 {
            guard let name = field[0].string else { continue }
            if let offset = field[1].number, CacheTestOrigin.magicDateFields.contains(name.lowercased()) {
                request.headers.add(name, CookieDate.format(clock.now + offset))
            } else {
                request.headers.add(name, field[1].text)
            }
        }
        if config.string("cache") == "no-cache" { request.headers["Cache-Control"] = "max-age=0" }
        if let body = config.string("request_body") { request.body = .string(body) }
        request.headers["Req-Num"] = String(number)

        var response: HTTPResponse?
        var body = ""
        do {
            let received = try await client.send(request)
            body = try await received.body.string(upTo: 1 << 20)
            response = received
        } catch {
            // A dropped connection that the cache does not cover ends the call with an error:
            // the client's equivalent of the error response a proxy would make up, which carries
            // none of the origin's fields.
            guard config.flag("disconnect") else { throw CheckFailed(check: "fetch", message: "failed: \(error)") }
        }
        let run = origin.snapshot(uuid: uuid)
        let atOrigin = run?.seen[number]
        let sent = run?.sent[number]
        if let response {
            try checkResponse(config, number: number, response: response, body: body, uuid: uuid, atOrigin: atOrigin)
        }
        try checkOrigin(config, number: number, response: response, atOrigin: atOrigin, sent: sent)
    }

    /// What upstream's client checks on each response as it arrives.
    private func checkResponse(
        _ config: CacheTestRequest, number: Int, response: HTTPResponse, body: String, uuid: String,
        atOrigin: RecordedRequest?
    ) throws {
        // As upstream does, by the origin's count of requests in the response: a stored response
        // carries the count of an earlier request (a 304 the cache made may carry none).
        let served = response.headers["Server-Request-Count"].flatMap(Int.init)
        switch config.expectedType {
        case "cached":
            if !(response.status.code == 304 && served == nil) {
                try check((served ?? number) < number, "expected_type", "the origin answered it; expected the cache to")
            }
        case "not_cached":
            try check(served == number, "expected_type", "served from the cache; expected the origin to answer")
        default: break
        }
        let status = response.status.code
        if let expected = config.raw["expected_status"] {
            if let code = expected.number {
                try check(status == Int(code), "expected_status", "status \(status), expected \(Int(code))")
            }
        } else if let code = config.list("response_status")?.first?.number {
            try check(status == Int(code), "setup", "status \(status), expected \(Int(code))")
        } else if status == 999 {
            throw CheckFailed(check: "expected_type", message: "the origin expected a conditional request that matched")
        } else {
            try check(status == 200, "setup", "status \(status), expected 200")
        }
        for expectation in config.list("expected_response_headers") ?? [] {
            try checkResponseHeader(expectation, response.headers, check: "expected_response_headers")
        }
        for field in config.list("expected_response_headers_missing") ?? [] {
            if let name = field.string {
                try check(
                    response.headers[name] == nil, "expected_response_headers_missing",
                    "response header \(name) is present")
            } else if let pair = field.array, pair.count == 2, let name = pair[0].string, let value = pair[1].string {
                try check(
                    !(response.headers[name] ?? "").contains(value), "expected_response_headers_missing",
                    "response header \(name) still has \(value)")
            }
        }
        guard config.raw["check_body"]?.bool != false else { return }
        if let expected = config.raw["expected_response_text"] {
            if let text = expected.string {
                try check(
                    body == text, "expected_response_text",
                    "body \(body.debugDescription), expected \(text.debugDescription)")
            }
        } else if let text = config.string("response_body") {
            try check(body == text, "setup", "body \(body.debugDescription), expected \(text.debugDescription)")
        } else if ![204, 304].contains(status) && config.method != .head {
            try check(body == uuid, "setup", "body \(body.debugDescription), expected the test's uuid")
        }
    }

    /// What upstream's client checks against the origin's record of the request, if it saw it.
    private func checkOrigin(
        _ config: CacheTestRequest, number: Int, response: HTTPResponse?, atOrigin: RecordedRequest?,
        sent: (status: Int, headers: HTTPHeaders)?
    ) throws {
        if let type = config.expectedType, type.hasSuffix("validated") {
            let field = type == "etag_validated" ? "If-None-Match" : "If-Modified-Since"
            try check(atOrigin != nil, "expected_type", "served from the cache; expected a validation")
            try check(atOrigin?.headers[field] != nil, "expected_type", "the request to the origin had no \(field)")
        }
        for field in config.list("expected_request_headers") ?? [] {
            if let name = field.string {
                try check(
                    atOrigin?.headers[name] != nil, "expected_request_headers",
                    "request header \(name) did not reach the origin")
            } else if let pair = field.array, pair.count >= 2, let name = pair[0].string {
                let value = atOrigin?.headers[name]
                try check(
                    value == pair[1].text, "expected_request_headers",
                    "request header \(name) was \(value ?? "absent") at the origin, expected \(pair[1].text)")
            }
        }
        for field in config.list("expected_request_headers_missing") ?? [] {
            guard let name = field.string else { continue }
            try check(
                atOrigin?.headers[name] == nil, "expected_request_headers_missing",
                "request header \(name) reached the origin")
        }
        if let sent, let response {
            for field in config.responseHeaders where field.count >= 2 {
                guard field.count < 3 || field[2].bool != false, let name = field[0].string,
                    !CacheTestRunner.hopByHop.contains(name.lowercased())
                else { continue }
                let value = sent.headers.values(for: name).joined(separator: ", ")
                try check(
                    response.headers[name] == value, "setup",
                    "response header \(name) is \(response.headers[name] ?? "absent"), the origin sent \(value)")
            }
        }
        if let method = config.string("expected_method") {
            try check(
                atOrigin?.method.rawValue == method, "expected_method",
                "the origin saw \(atOrigin?.method.rawValue ?? "nothing"), expected \(method)")
        }
    }

    /// Fields that describe one connection; the client never shows them as sent.
    private static let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length"]

    /// `name` (present), `[name, value]`, `[name, "=", other]` (same value as another field) or
    /// `[name, ">", number]`.
    private func checkResponseHeader(_ expectation: JSONValue, _ headers: HTTPHeaders, check name: String) throws {
        if let field = expectation.string {
            try check(headers[field] != nil, name, "response header \(field) is absent")
            return
        }
        guard let parts = expectation.array, let field = parts.first?.string else { return }
        let value = headers[field]
        if parts.count == 3, parts[1].string == "=", let other = parts[2].string {
            try check(
                value != nil && value == headers[other], name,
                "response header \(field) (\(value ?? "absent")) differs from \(other) (\(headers[other] ?? "absent"))")
        } else if parts.count == 3, parts[1].string == ">", let bound = parts[2].number {
            try check(
                (value.flatMap(Double.init) ?? -.infinity) > bound, name,
                "response header \(field) is \(value ?? "absent"), expected more than \(bound)")
        } else if parts.count >= 2 {
            let expected = expectedValue(field, parts[1], headers)
            try check(
                value == expected, name,
                "response header \(field) is \(value ?? "absent"), expected \(expected)")
        }
    }

    /// A magic date is expected relative to the origin's clock when it made the response (its
    /// `Server-Now`), so a stored response is checked against the time it was made.
    private func expectedValue(_ name: String, _ value: JSONValue, _ headers: HTTPHeaders) -> String {
        guard let offset = value.number, CacheTestOrigin.magicDateFields.contains(name.lowercased()),
            let now = headers["Server-Now"].flatMap({ HTTPDate.parse($0) })
        else { return value.text }
        return CookieDate.format(now + offset)
    }

    private func check(_ condition: Bool, _ name: String, _ message: @autoclosure () -> String) throws {
        if !condition { throw CheckFailed(check: name, message: message()) }
    }
}
