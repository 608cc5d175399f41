import CourierCache
import CourierCore
import FoundationEssentials

/// Builders for the policy tests: a stored GET response whose request went out at `t0` and whose
/// head came back `delay` seconds later.
enum Heads {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let url = URL(string: "http://example.com/resource")!

    static func head(
        status: Int = 200, _ headers: HTTPHeaders, varying: HTTPHeaders = [:], delay: Double = 0, url: URL = url
    ) -> CachedResponseHead {
        CachedResponseHead(
            url: url.absoluteString, method: .get, status: HTTPStatus(code: status), version: .http1_1,
            headers: headers, varyingRequestHeaders: varying, requestTime: t0, responseTime: t0 + delay,
            tlsHandshake: nil)
    }

    static func date(_ offset: Double) -> String {
        CookieDate.format(t0 + offset)
    }

    static func request(_ headers: HTTPHeaders = [:], method: HTTPMethod = .get, url: URL = url) -> HTTPRequest {
        HTTPRequest(method: method, url: url, headers: headers)
    }
}
