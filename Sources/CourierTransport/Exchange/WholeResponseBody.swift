import CourierCore
import Synchronization

/// A response body that had arrived whole with its head (see ``ExchangeCodec/takeWholeBody()``):
/// its exchange is over and its connection back in the pool, so reading it is handing over the
/// bytes, and dropping it frees nothing but them.
///
/// Still a source, not a plain buffer body: the stages above treat it as a body from the network
/// (decoding, logging, cache writing, the call's end when it has been read).
final class WholeResponseBody: HTTPBodySource {
    private enum State {
        case unread(ByteBuffer)
        /// The bytes were read; the end is next.
        case handedOut
        case ended
        case abandoned
    }

    private let state: Mutex<State>

    init(_ bytes: ByteBuffer) {
        state = Mutex(.unread(bytes))
    }

    /// The bytes, then the end; after `abandon()`, the error a streaming body gives, so that a
    /// body given up is never mistaken for one read to its end.
    func read() async throws -> ByteBuffer? {
        let next: Result<ByteBuffer?, HTTPClientError> = state.withLock { state in
            switch state {
            case .unread(let bytes) where !bytes.isEmpty:
                state = .handedOut
                return .success(bytes)
            case .unread, .handedOut, .ended:
                state = .ended
                return .success(nil)
            case .abandoned:
                return .failure(ExchangeResponseBody.abandoned)
            }
        }
        return try next.get()
    }

    /// Before the end was read, as a streaming body does: a body read to its end stays so.
    func abandon() async {
        state.withLock { state in
            if case .ended = state { return }
            state = .abandoned
        }
    }

    var trailers: HTTPHeaders { HTTPHeaders() }
}
