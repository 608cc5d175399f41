/// A stage of the call: sees the request on its way out and the response on its way back.
///
/// Interceptors are async functions. Application interceptors (``Chain`` positions before the
/// built-in stages) see each call once and may call `proceed` any number of times (to retry) or
/// not at all (to answer from elsewhere). Network interceptors run once per network exchange,
/// after a connection is chosen, and must call `proceed` exactly once.
///
/// ```swift
/// struct AddHeader: Interceptor {
///     func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
///         var request = request
///         request.headers["X-App"] = "demo"
///         return try await chain.proceed(request)
///     }
/// }
/// ```
public protocol Interceptor: Sendable {
    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse
}
