import Courier

/// Answers every call itself, as a mock or a cache in front of the network would.
struct Answering: Interceptor {
    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        HTTPResponse(status: .ok, request: request, body: HTTPResponse.Body(string: "Hello, World!"))
    }
}
