import CourierCore

/// Turns a user's request into what goes on the wire: `Host`, `User-Agent`, and the body's
/// `Content-Type` and framing (`Content-Length` or `Transfer-Encoding: chunked`), each only
/// when the user did not set it.
struct BridgeInterceptor: Interceptor {
    let userAgent: String

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        var request = request
        let target = try RequestTarget(request.url)
        if !request.headers.contains("Host") {
            request.headers["Host"] = target.authority
        }
        if !request.headers.contains("User-Agent") {
            request.headers["User-Agent"] = userAgent
        }
        if let body = request.body {
            if let contentType = body.contentType, !request.headers.contains("Content-Type") {
                request.headers["Content-Type"] = contentType
            }
            if let length = body.length {
                request.headers["Content-Length"] = String(length)
                request.headers.remove("Transfer-Encoding")
            } else {
                request.headers["Transfer-Encoding"] = "chunked"
                request.headers.remove("Content-Length")
            }
        } else if request.method.expectsBody {
            request.headers["Content-Length"] = "0"
        }
        return try await chain.proceed(request)
    }
}
