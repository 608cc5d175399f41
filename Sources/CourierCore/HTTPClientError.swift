/// The one error type Courier throws for everything that goes wrong with a call, except
/// cancellation, which is always `CancellationError`.
///
/// Match on ``kind`` to decide what to do; print the error for a message a person can act on.
///
/// ```swift
/// do {
///     _ = try await client.send(request)
/// } catch let error as HTTPClientError where error.kind == .timeout(.connect) {
///     // try another mirror
/// }
/// ```
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, precise enough to branch on.
    public enum Kind: Hashable, Sendable {
        /// The URL has no host, an unsupported scheme or an invalid port.
        case invalidURL
        /// The request cannot be sent as built: an invalid header name or value, a body that failed to encode.
        case invalidRequest
        /// The host name did not resolve.
        case dnsFailure
        /// Every address of the host refused the connection.
        case connectionRefused
        /// The connection could not be established for another reason (unreachable network, no route).
        case connectFailed
        /// The peer reset the connection while the response body was streaming.
        case connectionReset
        /// The peer closed or reset the connection before a complete response head arrived:
        /// the server went away without answering.
        case connectionClosed
        /// A configured timeout elapsed.
        case timeout(Timeout)
        /// TLS failed: the certificate, the handshake or the configuration.
        case tls(TLSFailure)
        /// The peer sent bytes that break the protocol; the connection is not reused.
        case protocolViolation(ProtocolViolation)
        /// More than 20 redirects (or other follow-ups) in a row.
        case tooManyRedirects
        /// A body was larger than the limit the caller gave.
        case responseTooLarge
        /// A response body was iterated a second time, or from two tasks at once.
        case bodyAlreadyConsumed
        /// An interceptor broke the chain's rules (a network interceptor must call `proceed` exactly once).
        case interceptorContractViolation
        /// Reading a request body (a stream or a file) failed.
        case requestBodyFailed
        /// The server did not accept a WebSocket opening handshake: ``HTTPClientError/response``
        /// is what it answered instead.
        case webSocketHandshakeFailed
        /// A WebSocket closed other than normally: the peer's close code (not 1000), a code this
        /// end failed the connection with (1002, 1007, 1009, …), or 1006 when the connection ended
        /// without a closing handshake. ``HTTPClientError/closeReason`` has the reason.
        case webSocketClosed(code: UInt16)
        /// A proxy did not give a connection to the origin: it refused the tunnel, wanted
        /// credentials that could not be given, or broke its protocol. A refusal that came as an
        /// HTTP answer carries it in ``HTTPClientError/response``.
        case proxy(ProxyFailure)
    }

    /// How a proxy failed.
    public enum ProxyFailure: Hashable, Sendable {
        /// The HTTP proxy answered `CONNECT` with this status, neither 2xx nor a 407 that could
        /// be answered; ``HTTPClientError/response`` is its answer.
        case tunnelRefused(status: Int)
        /// The HTTP proxy answered `CONNECT` with 407 and there was no `proxyAuthenticator`, it
        /// gave no credentials, or it gave the ones just rejected; the 407 is the ``HTTPClientError/response``.
        case authenticationRequired
        /// The SOCKS5 proxy accepts none of the authentication methods offered (no
        /// authentication, or username/password when credentials are configured).
        case socksNoAcceptableMethod
        /// The SOCKS5 proxy rejected the username and password (RFC 1929).
        case socksAuthenticationFailed
        /// The SOCKS5 proxy refused the `CONNECT` with this reply (RFC 1928 §6).
        case socksRefused(SOCKSReply)
        /// The proxy's bytes break its protocol (a malformed SOCKS reply, bytes after a
        /// tunnel's establishment that nobody asked for).
        case protocolViolation
    }

    /// A SOCKS5 reply code that is not success (RFC 1928 §6).
    public enum SOCKSReply: Hashable, Sendable {
        /// X'01' general SOCKS server failure.
        case generalFailure
        /// X'02' connection not allowed by ruleset.
        case notAllowed
        /// X'03' network unreachable.
        case networkUnreachable
        /// X'04' host unreachable (also what proxies answer when the name does not resolve).
        case hostUnreachable
        /// X'05' connection refused by the destination.
        case connectionRefused
        /// X'06' TTL expired.
        case ttlExpired
        /// X'07' command not supported.
        case commandNotSupported
        /// X'08' address type not supported.
        case addressTypeNotSupported
        /// A code RFC 1928 does not assign.
        case unassigned(UInt8)

        /// The reply for a code other than X'00' (succeeded).
        public init(code: UInt8) {
            switch code {
            case 1: self = .generalFailure
            case 2: self = .notAllowed
            case 3: self = .networkUnreachable
            case 4: self = .hostUnreachable
            case 5: self = .connectionRefused
            case 6: self = .ttlExpired
            case 7: self = .commandNotSupported
            case 8: self = .addressTypeNotSupported
            default: self = .unassigned(code)
            }
        }

        /// RFC 1928's words for the code.
        public var reason: String {
            switch self {
            case .generalFailure: "general SOCKS server failure"
            case .notAllowed: "connection not allowed by ruleset"
            case .networkUnreachable: "network unreachable"
            case .hostUnreachable: "host unreachable"
            case .connectionRefused: "connection refused"
            case .ttlExpired: "TTL expired"
            case .commandNotSupported: "command not supported"
            case .addressTypeNotSupported: "address type not supported"
            case .unassigned(let code): "unassigned reply code \(code)"
            }
        }
    }

    /// Which configured timeout elapsed.
    public enum Timeout: Hashable, Sendable {
        case connect
        case read
        case write
        case call
    }

    /// Why TLS failed.
    public enum TLSFailure: Hashable, Sendable {
        /// The server's chain does not lead to a trusted root, or a certificate in it fails
        /// verification otherwise (revoked, wrong purpose, bad signature).
        case untrustedCertificate
        /// A certificate in the chain has expired (or is not valid yet).
        case certificateExpired
        /// The certificate is not for the host that was asked for.
        case hostnameMismatch
        /// No key in the verified chain matches the pins configured for the host.
        case pinMismatch
        /// The peer only speaks a protocol version older than `minimumVersion`.
        case protocolVersion
        /// The server refused the client certificate, or required one that was not given.
        case clientCertificateRejected
        /// The handshake failed for another reason (alert, no shared cipher, malformed message).
        case handshakeFailed
        /// The TLS configuration cannot be used (unreadable certificate or key).
        case invalidConfiguration
    }

    /// How the peer broke HTTP.
    public enum ProtocolViolation: Hashable, Sendable {
        case malformedStatusLine
        case malformedRequestLine
        case malformedHeader
        case headersTooLarge
        case invalidContentLength
        case conflictingFraming
        case unsupportedTransferEncoding
        case invalidChunk
        case truncatedBody
        /// A 101 Switching Protocols answered a request that did not ask to upgrade.
        case unsolicitedUpgrade
        /// A compressed body (`Content-Encoding`) does not decode.
        case invalidContentEncoding
        /// An HTTP/2 header block does not decode (HPACK, RFC 7541): a bad index, Huffman code,
        /// integer or table size update. The compression state is then lost, so the connection is
        /// closed with COMPRESSION_ERROR, not only the stream.
        case headerCompression
        /// An HTTP/2 peer broke the framing or stream rules (RFC 9113): a malformed frame, more
        /// data than the flow-control window allows, a frame where its stream cannot have one.
        /// Answered with RST_STREAM for one stream or GOAWAY for the connection.
        case http2Protocol
    }

    public let kind: Kind
    /// What happened, in words that name the peer and the reason.
    public let message: String
    /// The response that answered a failed WebSocket handshake; its body is not read.
    public var response: HTTPResponse? { answer?.response }
    /// The reason in a WebSocket close frame (``Kind/webSocketClosed(code:)``).
    public let closeReason: String?
    /// Boxed: a request's body can hold an error, so an error cannot hold a response inline.
    private let answer: Answer?

    public init(_ kind: Kind, _ message: String) {
        self.init(kind, message, response: nil, closeReason: nil)
    }

    package init(_ kind: Kind, _ message: String, response: HTTPResponse?, closeReason: String?) {
        self.kind = kind
        self.message = message
        self.answer = response.map(Answer.init)
        self.closeReason = closeReason
    }

    private final class Answer: Sendable {
        let response: HTTPResponse

        init(_ response: HTTPResponse) {
            self.response = response
        }
    }

    public var description: String { message }

    package static func protocolViolation(_ violation: ProtocolViolation, _ message: String) -> HTTPClientError {
        HTTPClientError(.protocolViolation(violation), message)
    }
}
