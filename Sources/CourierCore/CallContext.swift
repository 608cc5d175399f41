import Synchronization

/// One call's shared state, passed down the chain: who is listening, which timeouts apply, and
/// what the latest exchange did — which the retry stage needs to decide whether replaying the
/// request is safe.
package final class CallContext: Sendable {
    /// What the most recent exchange of this call did.
    package struct ExchangeFacts: Sendable {
        /// The exchange ran on a connection taken from the pool, which the peer may have closed meanwhile.
        package var reusedConnection = false
        /// Every byte of the request (head and body) was handed to the kernel.
        package var requestFullySent = false
        /// The peer said it did not process the request (HTTP/2 GOAWAY or REFUSED_STREAM).
        package var unprocessed = false
        /// The peer reset this exchange alone on a live connection (HTTP/2 RST_STREAM): it may
        /// have acted on the request.
        package var resetByPeer = false
        /// The HTTP proxy that forwarded the request, if one did: only then can a 407 be the
        /// proxy's, and not an origin's asking for credentials it must never see; and the
        /// credentials that answer it are for that proxy alone.
        package var forwardingProxy: Proxy?
        /// Set when the exchange ran on an HTTP/2 connection made for another host and
        /// coalesced (same address, a certificate covering both): it makes the pool stop sending
        /// this host's requests there, which a 421 (Misdirected Request) calls for before the
        /// request is retried (RFC 9110 §15.5.20).
        package var leaveCoalescedConnection: (@Sendable () async -> Void)?

        package var forwardedByProxy: Bool { forwardingProxy != nil }
    }

    private static let ids = Atomic<UInt64>(0)

    package let info: CallInfo
    package let listener: (any EventListener)?
    /// Whether ``listener`` is set, so that ``emit(_:)`` without one costs a test of a flag
    /// rather than a copy of the optional existential; a call emits about twenty events.
    @usableFromInline let isListened: Bool
    package let settings: CallSettings
    /// When `callTimeout` ends the call, whatever it is doing: fixed at the start, so redirects,
    /// retries and reading the body all count against it.
    package let deadline: ContinuousClock.Instant?
    private let facts = Mutex(ExchangeFacts())
    /// Set by ``end(_:)``: events after `callEnd` or `callFailed` are dropped. A connect the
    /// pool keeps going for other calls after this one stopped waiting still reports through
    /// this context; OkHttp's contract is that nothing follows the end.
    private let ended = Atomic<Bool>(false)

    package init(
        request: HTTPRequest, listener: (any EventListener)?, settings: CallSettings,
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.info = CallInfo(id: CallContext.ids.wrappingAdd(1, ordering: .relaxed).oldValue, request: request)
        self.listener = listener
        self.isListened = listener != nil
        self.settings = settings
        self.deadline = deadline
    }

    /// Reports an event to the listener, if there is one and the call has not ended.
    @inlinable
    package func emit(_ event: (any EventListener, CallInfo) -> Void) {
        guard isListened, let listener, !hasEnded else { return }
        event(listener, info)
    }

    /// Reports the last event of the call (`callEnd` or `callFailed`), once; later events,
    /// and a second end, are dropped.
    package func end(_ event: (any EventListener, CallInfo) -> Void) {
        guard isListened, let listener, !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
        event(listener, info)
    }

    @usableFromInline var hasEnded: Bool { ended.load(ordering: .acquiring) }

    package var lastExchange: ExchangeFacts { facts.withLock { $0 } }

    package func exchangeStarted(
        reusedConnection: Bool, forwardingProxy: Proxy?,
        leaveCoalescedConnection: (@Sendable () async -> Void)? = nil
    ) {
        facts.withLock {
            $0 = ExchangeFacts(
                reusedConnection: reusedConnection, forwardingProxy: forwardingProxy,
                leaveCoalescedConnection: leaveCoalescedConnection)
        }
    }

    package func requestFullySent() {
        facts.withLock { $0.requestFullySent = true }
    }

    package func requestUnprocessed() {
        facts.withLock { $0.unprocessed = true }
    }

    package func exchangeResetByPeer() {
        facts.withLock { $0.resetByPeer = true }
    }
}
