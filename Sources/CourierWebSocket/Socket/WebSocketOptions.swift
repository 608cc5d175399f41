/// How a client's WebSockets behave (`HTTPClient.Configuration.webSocket`). Pings follow
/// `HTTPClient.Configuration.pingInterval`, as OkHttp's do.
public struct WebSocketOptions: Sendable, Hashable {
    /// The largest message accepted, after decompression; a larger one closes the socket with
    /// 1009. 16 MiB by default, as OkHttp's outgoing limit.
    public var maxMessageSize = 16 << 20
    /// Received bytes held for a consumer that has fallen behind; past this, the socket is not
    /// read until the consumer catches up, and TCP slows the server down.
    public var maxBufferedBytes = 1 << 20
    /// Offer permessage-deflate (RFC 7692) in the handshake.
    public var compression = true
    /// How long the peer has to answer our close frame with its own; OkHttp's 60 seconds.
    public var closeTimeout: Duration = .seconds(60)

    public init() {}
}
