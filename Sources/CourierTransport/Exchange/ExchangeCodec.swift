package import CourierCore

/// One request and its response in one protocol's wire terms: HTTP/1.1 on a connection it has
/// to itself, or one HTTP/2 stream. ``Exchange`` drives it and owns everything protocols share
/// (events, retry facts, 100-continue, the body hand-off, release to the pool), so nothing above
/// the codec names a protocol — OkHttp's `ExchangeCodec`.
///
/// Errors a codec throws are already `HTTPClientError`s naming the peer and the phase (or
/// `CancellationError`). A codec is used by one exchange, one task at a time, except
/// ``interrupt()``, which any task may call.
///
/// Its async methods, and the connections' I/O under them, are `nonisolated(nonsending)`: they
/// run on whatever executor their caller is on (the reactor, when the exchange is pinned there)
/// without the executor switch a plain nonisolated async function makes on entry and return.
/// For a task that carries an executor preference, as pinned exchanges do, the runtime takes the
/// task's status-record lock at each such switch: 5 of the 15.6 taken per 5a request went.
package protocol ExchangeCodec: AnyObject, Sendable {
    /// The connection the codec runs on.
    var connection: ConnectionInfo { get }

    /// The executor the codec's I/O runs on without thread hops: its connection's reactor.
    var executor: any TaskExecutor { get }

    /// Starts the exchange; true when the connection carried an exchange before, so the peer
    /// may have closed it meanwhile (the retry stage needs to know).
    func begin() -> Bool

    /// Whether ``begin()`` was called: until then the connection is untouched and may go back
    /// to the pool as it came.
    var hasBegun: Bool { get }

    /// Whether a request held in memory may run its I/O on the caller's thread instead of on
    /// ``executor`` (plain TCP with no other exchange in progress on the reactor); balanced by
    /// ``endCallerThreadIO()`` whatever the answer.
    func beginCallerThreadIO() -> Bool
    func endCallerThreadIO()

    /// Does what writing the request head needs and the connection's executor does not, before
    /// the exchange hops there: HTTP/1.1 serialises the head, so that the reactor thread, which
    /// every connection's I/O shares, does not. (HTTP/2 encodes the head as it writes it: HPACK's
    /// table must see heads in the order they go out.)
    func prepareRequestHead(_ request: HTTPRequest) throws

    /// Writes the request head. `body` is a whole body held in memory, written with the head;
    /// `endOfRequest` says nothing follows (no body, or `body` was all of it).
    nonisolated(nonsending) func writeRequestHead(
        _ request: HTTPRequest, body: ByteBuffer?, endOfRequest: Bool, timeout: IOTimeout)
        async throws

    /// Writes one chunk of a body sent after the head.
    nonisolated(nonsending) func writeRequestBody(_ chunk: ByteBuffer, timeout: IOTimeout) async throws

    /// Ends a body sent after the head (HTTP/1.1: the last chunk of a chunked body; HTTP/2: END_STREAM).
    nonisolated(nonsending) func finishRequest(timeout: IOTimeout) async throws

    /// After writing the request failed with `error`: a complete response the peer sent before
    /// it stopped reading (a 413 to an upload), or `error` rethrown.
    nonisolated(nonsending) func responseAfterWriteFailure(
        _ error: any Error, request: HTTPRequest, timeout: IOTimeout
    ) async throws
        -> ResponseHead

    /// Reads response heads until a final one, skipping interim (1xx) ones, but returning a
    /// `100 Continue` when `returningContinue`.
    nonisolated(nonsending) func readResponseHead(
        timeout: IOTimeout, returningContinue: Bool
    ) async throws -> ResponseHead

    /// Prepares to read the body of the response `head` to `request`; false when it has none,
    /// and the exchange is over. `requestComplete` is false when the response came before the
    /// whole request body was sent.
    func openResponseBody(for request: HTTPRequest, head: ResponseHead, requestComplete: Bool) throws -> Bool

    /// The whole response body, when it had arrived with the head and no trailers came with it;
    /// handed over once, after ``openResponseBody(for:head:requestComplete:)`` said there is a
    /// body. The exchange is then over: its connection can go back to the pool before the caller
    /// reads a byte. Nil when the body is still to be read.
    func takeWholeBody() -> ByteBuffer?

    /// The next chunk of the response body, or nil at its end; hops to ``executor`` only when it
    /// has to wait.
    nonisolated(nonsending) func readResponseBody(timeout: IOTimeout) async throws -> ByteBuffer?

    /// The trailer fields that followed the body, once it has been read to its end.
    var trailers: HTTPHeaders? { get }

    /// Whether the connection can carry another exchange now that this one ended well.
    var isReusable: Bool { get }

    /// What carries the new protocol when `head` accepted a request to switch to it, or nil.
    /// After HTTP/1.1's 101, the whole connection, which leaves the pool. After a 2xx to HTTP/2's
    /// extended CONNECT (RFC 8441), the stream: its connection stays pooled for other calls, the
    /// stream counted as in use until it is closed, which calls `done`.
    func switchProtocols(after head: ResponseHead, done: @escaping @Sendable () -> Void) -> SwitchedStream?

    /// Wakes I/O in progress on another task, which then fails; callable from any task.
    func interrupt()

    /// Abandons the exchange before its end: an HTTP/1.1 connection is closed (unread bytes
    /// would corrupt the next exchange), an HTTP/2 stream is reset and its connection lives on.
    func cancel()
}
