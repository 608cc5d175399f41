import CourierCache
import CourierCore
import FoundationEssentials
import Synchronization

/// The rest of the chain below the cache, answering from a script and recording what reached it:
/// the interceptor is tested without sockets.
final class ScriptedOrigin: Interceptor {
    enum Answer: Sendable {
        case respond(status: Int, headers: HTTPHeaders, body: [UInt8])
        /// A body streamed in `chunks`, failing after them when `failure` is set.
        case stream(status: Int, headers: HTTPHeaders, chunks: [[UInt8]], failure: Bool)
        case fail
    }

    struct Failed: Error {}

    private let state = Mutex<(answers: [Answer], requests: [HTTPRequest])>(([], []))
    private let hook = Mutex<(@Sendable () async -> Void)?>(nil)

    /// Runs `action` once, when the next request arrives and before it is answered.
    func beforeNextAnswer(_ action: @escaping @Sendable () async -> Void) {
        hook.withLock { $0 = action }
    }

    func enqueue(_ answer: Answer) {
        state.withLock { $0.answers.append(answer) }
    }

    func respond(_ status: Int = 200, _ headers: HTTPHeaders, _ body: String = "") {
        enqueue(.respond(status: status, headers: headers, body: Array(body.utf8)))
    }

    var requests: [HTTPRequest] { state.withLock { $0.requests } }

    func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        if let action = hook.withLock({ hook in
            defer { hook = nil }; return hook
        }) {
            await action()
        }
        let answer = state.withLock { state -> Answer? in
            state.requests.append(request)
            return state.answers.isEmpty ? nil : state.answers.removeFirst()
        }
        switch answer {
        case .none, .fail:
            throw Failed()
        case .respond(let status, let headers, let body):
            return HTTPResponse(
                status: HTTPStatus(code: status), headers: headers, request: request,
                body: body.isEmpty ? .empty : HTTPResponse.Body(source: ChunkSource([body], failure: false)))
        case .stream(let status, let headers, let chunks, let failure):
            return HTTPResponse(
                status: HTTPStatus(code: status), headers: headers, request: request,
                body: HTTPResponse.Body(source: ChunkSource(chunks, failure: failure)))
        }
    }
}

/// A streaming body from fixed chunks; records whether it was abandoned.
final class ChunkSource: HTTPBodySource {
    private let state: Mutex<(chunks: [[UInt8]], abandoned: Bool)>
    private let failure: Bool

    init(_ chunks: [[UInt8]], failure: Bool) {
        state = Mutex((chunks, false))
        self.failure = failure
    }

    func read() async throws -> ByteBuffer? {
        let next = state.withLock { state -> [UInt8]? in
            state.chunks.isEmpty ? nil : state.chunks.removeFirst()
        }
        if let next { return ByteBuffer(next) }
        if failure { throw ScriptedOrigin.Failed() }
        return nil
    }

    func abandon() async {
        state.withLock { $0.abandoned = true }
    }

    var trailers: HTTPHeaders { HTTPHeaders() }
}

/// Names of the cache events a call emitted, in order.
final class CacheEventLog: EventListener {
    private let events = Mutex<[String]>([])

    var names: [String] { events.withLock { $0 } }

    func cacheHit(_ call: CallInfo, response: HTTPResponse) { events.withLock { $0.append("cacheHit") } }
    func cacheMiss(_ call: CallInfo) { events.withLock { $0.append("cacheMiss") } }
    func cacheConditionalHit(_ call: CallInfo, cachedResponse: HTTPResponse) {
        events.withLock { $0.append("cacheConditionalHit") }
    }
    func satisfactionFailure(_ call: CallInfo, response: HTTPResponse) {
        events.withLock { $0.append("satisfactionFailure") }
    }
}

/// A cache over an in-memory store and a manual clock, in front of a scripted origin.
struct CacheHarness {
    let store: InMemoryCacheStore
    let clock = ManualCacheClock()
    let cache: HTTPCache
    let origin = ScriptedOrigin()
    let events = CacheEventLog()
    let url = URL(string: "http://example.com/r")!

    init(maxSize: Int = 1 << 20) {
        store = InMemoryCacheStore(maxSize: maxSize)
        cache = HTTPCache(store: store, clock: clock.cacheClock)
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let stages = InterceptorStages(interceptors: [CacheInterceptor(cache: cache), origin], networkRange: 0..<0)
        let settings = CallSettings(
            connectTimeout: nil, readTimeout: nil, writeTimeout: nil, expectContinueTimeout: .seconds(1))
        let call = CallContext(request: request, listener: events, settings: settings)
        return try await Chain(stages: stages, call: call).proceed(request)
    }

    func get(_ headers: HTTPHeaders = [:]) async throws -> HTTPResponse {
        try await send(HTTPRequest(url: url, headers: headers))
    }

    /// GETs the URL and reads the whole body.
    func fetch(_ headers: HTTPHeaders = [:]) async throws -> (HTTPResponse, String) {
        let response = try await get(headers)
        return (response, try await response.body.string())
    }

    var key: String { CacheKey.key(for: url) }
}
