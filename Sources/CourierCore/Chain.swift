/// The rest of the call, from one interceptor's point of view.
///
/// A chain is an immutable value: `proceed` calls the next interceptor with a chain advanced by
/// one, so the call is a plain async recursion with no shared index to corrupt.
public struct Chain: Sendable {
    package let stages: InterceptorStages
    package let index: Int
    /// Set by the connect stage; what network interceptors and the call-server stage run over.
    package let exchange: (any HTTPExchange)?
    package let call: CallContext
    /// Present when this chain was handed to a network interceptor: counts its `proceed` calls.
    private let proceedCount: ProceedCounter?

    package init(stages: InterceptorStages, call: CallContext) {
        self.init(stages: stages, index: 0, exchange: nil, call: call, proceedCount: nil)
    }

    private init(
        stages: InterceptorStages,
        index: Int,
        exchange: (any HTTPExchange)?,
        call: CallContext,
        proceedCount: ProceedCounter?
    ) {
        self.stages = stages
        self.index = index
        self.exchange = exchange
        self.call = call
        self.proceedCount = proceedCount
    }

    /// This chain at the same stage for work that outlives the call, such as the cache's
    /// background revalidation: a call context of its own that reports to no listener and has no
    /// deadline, so the finished call's listener hears nothing after `callEnd`.
    package func detached(request: HTTPRequest) -> Chain {
        Chain(
            stages: stages, index: index, exchange: exchange,
            call: CallContext(request: request, listener: nil, settings: call.settings), proceedCount: proceedCount)
    }

    /// The connect timeout in force for this call.
    public var connectTimeout: Duration? { call.settings.connectTimeout }
    /// The longest wait for the next byte of a response.
    public var readTimeout: Duration? { call.settings.readTimeout }
    /// The longest wait for the socket to accept more bytes of a request.
    public var writeTimeout: Duration? { call.settings.writeTimeout }

    /// The connection this exchange runs over; nil before the connect stage.
    public var connection: ConnectionInfo? { exchange?.connection }

    /// The call this chain belongs to.
    public var callInfo: CallInfo { call.info }

    /// Sends `request` through the remaining interceptors and returns their response.
    public func proceed(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await proceed(request, exchange: exchange)
    }

    /// Like ``proceed(_:)``, attaching the exchange the connect stage chose.
    package func proceed(_ request: HTTPRequest, exchange: (any HTTPExchange)?) async throws -> HTTPResponse {
        if let proceedCount, proceedCount.increment() > 1 {
            throw HTTPClientError(
                .interceptorContractViolation,
                "Network interceptor \(stages.name(at: index - 1)) must call proceed() exactly once; it called it again."
            )
        }
        guard index < stages.interceptors.count else {
            throw HTTPClientError(
                .interceptorContractViolation,
                "proceed() was called past the last stage of the chain."
            )
        }
        let interceptor = stages.interceptors[index]
        guard stages.networkRange.contains(index) else {
            let next = Chain(
                stages: stages, index: index + 1, exchange: exchange, call: call, proceedCount: nil)
            return try await interceptor.intercept(request, chain: next)
        }
        let counter = ProceedCounter()
        let next = Chain(
            stages: stages, index: index + 1, exchange: exchange, call: call, proceedCount: counter)
        let response = try await interceptor.intercept(request, chain: next)
        guard counter.value == 1 else {
            await response.body.source?.abandon()
            throw HTTPClientError(
                .interceptorContractViolation,
                "Network interceptor \(stages.name(at: index)) must call proceed() exactly once; it did not call it."
            )
        }
        return response
    }
}

/// The interceptors of a client, in call order, and which of them are network interceptors.
package final class InterceptorStages: Sendable {
    package let interceptors: [any Interceptor]
    package let networkRange: Range<Int>

    package init(interceptors: [any Interceptor], networkRange: Range<Int>) {
        self.interceptors = interceptors
        self.networkRange = networkRange
    }

    func name(at index: Int) -> String {
        String(describing: type(of: interceptors[index]))
    }
}

/// Per-call settings every stage can read.
package struct CallSettings: Sendable {
    package var connectTimeout: Duration?
    package var readTimeout: Duration?
    package var writeTimeout: Duration?
    /// How long a request with `Expect: 100-continue` waits for the interim response before
    /// sending its body anyway.
    package var expectContinueTimeout: Duration
    /// What the client does with a response no caller sees — a cache's background
    /// revalidation: it keeps the cookies that response sets (RFC 6265 §5.3 processes every
    /// Set-Cookie received), as the bridge does for a caller's. Nil without a cookie jar.
    package var receivedInBackground: (@Sendable (HTTPResponse) async -> Void)?

    package init(
        connectTimeout: Duration?, readTimeout: Duration?, writeTimeout: Duration?, expectContinueTimeout: Duration
    ) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.writeTimeout = writeTimeout
        self.expectContinueTimeout = expectContinueTimeout
    }
}

/// A connection, chosen by the connect stage, that can carry one request and its response.
package protocol HTTPExchange: Sendable {
    var connection: ConnectionInfo { get }
    /// Writes the request and reads the response head; the body streams afterwards.
    func send(_ request: HTTPRequest, call: CallContext) async throws -> HTTPResponse
}
