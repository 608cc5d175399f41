import CourierCore
import Synchronization

/// Ends a call when its response body is done — read to the end, failed, abandoned, or
/// dropped: releases the dispatcher admission and reports `callEnd` or `callFailed`. Admission
/// lasts that long so that `maxRequestsPerHost` bounds connections too; the connection is
/// released before admission, never after.
final class CallCompletion: HTTPBodySource {
    private let inner: any HTTPBodySource
    private let dispatcher: Dispatcher
    private let host: String
    private let perHost: Bool
    private let call: CallContext
    private let done = Atomic<Bool>(false)
    private let iterated = Atomic<Bool>(false)

    private init(inner: any HTTPBodySource, dispatcher: Dispatcher, host: String, perHost: Bool, call: CallContext) {
        self.inner = inner
        self.dispatcher = dispatcher
        self.host = host
        self.perHost = perHost
        self.call = call
    }

    /// Returns `response` with its body wrapped, or ends the admission now if the body is already complete.
    static func attach(
        to response: consuming HTTPResponse, dispatcher: Dispatcher, host: String, perHost: Bool, call: CallContext
    ) async -> HTTPResponse {
        guard let source = response.body.source else {
            await dispatcher.finished(host: host, perHost: perHost)
            call.end { $0.callEnd($1) }
            return response
        }
        response.body = HTTPResponse.Body(
            source: CallCompletion(inner: source, dispatcher: dispatcher, host: host, perHost: perHost, call: call))
        return response
    }

    deinit {
        guard !done.load(ordering: .acquiring) else { return }
        let (inner, dispatcher, host, perHost, call) = (inner, dispatcher, host, perHost, call)
        Task {
            await inner.abandon()
            await dispatcher.finished(host: host, perHost: perHost)
            call.end { $0.callEnd($1) }
        }
    }

    func read() async throws -> ByteBuffer? {
        do {
            let chunk = try await inner.read()
            if chunk == nil { await finish(failure: nil) }
            return chunk
        } catch {
            await finish(failure: error)
            throw error
        }
    }

    /// Whether `error` ended the call by cancelling it: the task's cancellation, or `callTimeout`
    /// (which cancels the call, as OkHttp's timeout does, and reports `canceled` too).
    static func cancels(_ error: any Error) -> Bool {
        error is CancellationError || (error as? HTTPClientError)?.kind == .timeout(.call)
    }

    var trailers: HTTPHeaders { inner.trailers }

    func beginIteration() -> Bool {
        !iterated.exchange(true, ordering: .relaxed)
    }

    func abandon() async {
        await inner.abandon()
        await finish(failure: nil)
    }

    private func finish(failure: (any Error)?) async {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await dispatcher.finished(host: host, perHost: perHost)
        if let failure {
            if CallCompletion.cancels(failure) { call.emit { $0.canceled($1) } }
            call.end { $0.callFailed($1, error: failure) }
        } else {
            call.end { $0.callEnd($1) }
        }
    }
}
