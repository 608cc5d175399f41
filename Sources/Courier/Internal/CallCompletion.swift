import CourierCore
import Synchronization

/// Ends a call's dispatcher admission when its response body is done: read to the end, failed,
/// abandoned, or dropped. Admission lasts that long so that `maxRequestsPerHost` bounds
/// connections too; the connection is released before admission, never after.
final class CallCompletion: HTTPBodySource {
    private let inner: any HTTPBodySource
    private let dispatcher: Dispatcher
    private let host: String
    private let done = Atomic<Bool>(false)

    private init(inner: any HTTPBodySource, dispatcher: Dispatcher, host: String) {
        self.inner = inner
        self.dispatcher = dispatcher
        self.host = host
    }

    /// Returns `response` with its body wrapped, or ends the admission now if the body is already complete.
    static func attach(to response: HTTPResponse, dispatcher: Dispatcher, host: String) async -> HTTPResponse {
        guard let source = response.body.source else {
            await dispatcher.finished(host: host)
            return response
        }
        var response = response
        response.body = HTTPResponse.Body(source: CallCompletion(inner: source, dispatcher: dispatcher, host: host))
        return response
    }

    deinit {
        guard !done.load(ordering: .acquiring) else { return }
        let (inner, dispatcher, host) = (self.inner, self.dispatcher, self.host)
        Task {
            await inner.abandon()
            await dispatcher.finished(host: host)
        }
    }

    func read() async throws -> ByteBuffer? {
        do {
            let chunk = try await inner.read()
            if chunk == nil { await finish() }
            return chunk
        } catch {
            await finish()
            throw error
        }
    }

    func abandon() async {
        await inner.abandon()
        await finish()
    }

    private func finish() async {
        guard !done.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await dispatcher.finished(host: host)
    }
}
