/// Why a `Sec-WebSocket-Extensions` value cannot be accepted for permessage-deflate (RFC 7692
/// §5, §7.1): in a server's response, a reason to fail the handshake (§5.1: the client must fail
/// the connection); in a client's offer, a reason to decline that offer.
package enum PerMessageDeflateNegotiationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The value does not follow the `Sec-WebSocket-Extensions` grammar.
    case malformedHeader(String)
    /// The server accepted an extension the client did not offer.
    case unexpectedExtension(String)
    /// The server accepted permessage-deflate more than once.
    case duplicateExtension
    case unknownParameter(String)
    case duplicateParameter(String)
    /// A parameter with a value it must not have, without one it needs, or out of range.
    case invalidValue(parameter: String, value: String?)
    /// The server sent `client_max_window_bits`, which the client did not offer (§7.1.2.2).
    case unrequestedParameter(String)
    /// The server left out a parameter the client's offer requires it to accept (§7.1.1.1,
    /// §7.1.2.1).
    case missingParameter(String)

    package var description: String {
        switch self {
        case .malformedHeader(let value): "the Sec-WebSocket-Extensions value \"\(value)\" is malformed"
        case .unexpectedExtension(let name): "the server accepted the extension \(name), which was not offered"
        case .duplicateExtension: "the server accepted permessage-deflate more than once"
        case .unknownParameter(let name): "permessage-deflate has no parameter \(name)"
        case .duplicateParameter(let name): "the permessage-deflate parameter \(name) appears twice"
        case .invalidValue(let parameter, let value?):
            "the permessage-deflate parameter \(parameter) has an invalid value \"\(value)\""
        case .invalidValue(let parameter, nil): "the permessage-deflate parameter \(parameter) needs a value"
        case .unrequestedParameter(let name): "the server sent \(name), which the client did not offer"
        case .missingParameter(let name): "the server did not accept the offered parameter \(name)"
        }
    }
}
