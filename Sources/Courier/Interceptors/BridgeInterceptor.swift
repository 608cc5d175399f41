import CourierCore
import CourierTransport

/// Turns a user's request into what goes on the wire — `Host`, `User-Agent`, the body's
/// `Content-Type` and framing (`Content-Length` or `Transfer-Encoding: chunked`), each only when
/// the user did not set it; the cookie jar's cookies — and the response back into what the user
/// asked for, storing the cookies it sets.
///
/// Compression is transparent: when the request names no `Accept-Encoding` (and no `Range`,
/// whose offsets would refer to the encoded bytes), the bridge offers gzip, deflate and br and
/// decodes the body as it streams, removing `Content-Encoding` and `Content-Length`. A request
/// that sets `Accept-Encoding` itself gets the body exactly as sent.
struct BridgeInterceptor: Interceptor {
    static let acceptEncoding = "gzip, deflate, br"

    let userAgent: String
    let decompressionLimit: DecompressionLimit
    let cookieJar: (any CookieJar)?

    func intercept(_ userRequest: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        var request = userRequest
        let target = try request.target
        // Room for the fields added below, so the list grows once.
        request.headers.reserveCapacity(request.headers.count + 6)
        if !request.headers.contains("Host") {
            request.headers.add("Host", target.authority)
        }
        if !request.headers.contains("User-Agent") {
            request.headers.add("User-Agent", userAgent)
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
        } else {
            // Without a body, framing headers a caller set would announce bytes that never come
            // and the server would take the next request as this one's body.
            request.headers.remove("Transfer-Encoding")
            if request.method.expectsBody {
                request.headers["Content-Length"] = "0"
            } else {
                request.headers.remove("Content-Length")
            }
        }
        let transparent = !request.headers.contains("Accept-Encoding") && !request.headers.contains("Range")
        if transparent { request.headers.add("Accept-Encoding", BridgeInterceptor.acceptEncoding) }
        if let cookieJar {
            let cookies = await cookieJar.cookies(for: request.url)
            if !cookies.isEmpty {
                let stored = cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
                request.headers["Cookie"] = request.headers["Cookie"].map { $0 + "; " + stored } ?? stored
            }
        }
        var response = try await chain.proceed(request)
        // Follow-ups are built from this: with the wire form, the jar's cookies would be sent twice
        // and the offered Accept-Encoding would look like the caller's, leaving the body encoded.
        response.request = userRequest
        if let cookieJar {
            let url = response.request.url
            // Only what the server sent now (RFC 6265 §5.3): a response the cache answered
            // carries the Set-Cookie of an old one, which would bring back a cookie deleted since
            // (a logout's); after a 304, only the 304's own count.
            let received = response.cacheResponse == nil ? response.headers : response.networkResponse?.headers
            await BridgeInterceptor.saveCookies(in: received ?? [:], from: url, to: cookieJar)
        }
        return transparent ? decoded(response) : response
    }

    /// Keeps the cookies that `fields`, received from `url`, set.
    static func saveCookies(in fields: HTTPHeaders, from url: URL, to jar: any CookieJar) async {
        let cookies = fields.values(for: "Set-Cookie").compactMap { Cookie.parse($0, from: url) }
        if !cookies.isEmpty { await jar.save(cookies, from: url) }
    }

    private func decoded(_ response: HTTPResponse) -> HTTPResponse {
        // Only a body still streaming from the network is decoded (HEAD, 204 and 304 have none).
        guard let value = response.headers["Content-Encoding"], let coding = ContentCoding(header: value),
            let source = response.body.source
        else { return response }
        var response = response
        response.headers.remove("Content-Encoding")
        response.headers.remove("Content-Length")
        response.body = HTTPResponse.Body(
            source: DecompressingBody(inner: source, coding: coding, limit: decompressionLimit))
        return response
    }
}
