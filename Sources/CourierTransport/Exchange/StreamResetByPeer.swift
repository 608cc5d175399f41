package import CourierCore

/// Thrown by a codec when the peer reset this exchange alone (an HTTP/2 RST_STREAM other than
/// REFUSED_STREAM) before its response head, on a connection that lives on. Unlike a pooled
/// connection found dead, that says nothing stale about the connection: the server chose to end
/// the request, and may have acted on it, so the retry stage must not replay it. ``Exchange``
/// records the fact and throws ``error``.
package struct StreamResetByPeer: Error {
    package let error: HTTPClientError

    package init(_ error: HTTPClientError) {
        self.error = error
    }
}
