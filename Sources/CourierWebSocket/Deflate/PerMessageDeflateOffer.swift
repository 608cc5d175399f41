/// What a client asks for when it offers permessage-deflate (RFC 7692 §7.1): built by the client
/// into its `Sec-WebSocket-Extensions` header and checked against the server's answer, and read
/// back from that header by a server, which answers it.
///
/// The default offer is `permessage-deflate; client_max_window_bits`: compression both ways with
/// context takeover and full windows, and the server free to make the client's window smaller.
package struct PerMessageDeflateOffer: Hashable, Sendable {
    /// What the offer says about `client_max_window_bits` (§7.1.2.2).
    package enum ClientMaxWindowBits: Hashable, Sendable {
        /// Not offered: the server must not limit the client's window.
        case notOffered
        /// Offered without a value: the server may limit the client's window.
        case serverMayLimit
        /// The client will use at most this window; the server may make it smaller.
        case limit(Int)
    }

    /// Asks the server to start every message with an empty window.
    package var serverNoContextTakeover = false
    /// Announces that the client starts every message with an empty window.
    package var clientNoContextTakeover = false
    /// Asks the server to compress with at most this window (8–15).
    package var serverMaxWindowBits: Int?
    package var clientMaxWindowBits = ClientMaxWindowBits.serverMayLimit

    package init() {}

    private static let serverNoContextTakeoverName = "server_no_context_takeover"
    private static let clientNoContextTakeoverName = "client_no_context_takeover"
    private static let serverMaxWindowBitsName = "server_max_window_bits"
    private static let clientMaxWindowBitsName = "client_max_window_bits"

    /// The offer as a `Sec-WebSocket-Extensions` value.
    package var headerValue: String {
        var value = PerMessageDeflateParameters.extensionName
        if serverNoContextTakeover { value += "; \(Self.serverNoContextTakeoverName)" }
        if clientNoContextTakeover { value += "; \(Self.clientNoContextTakeoverName)" }
        if let bits = serverMaxWindowBits { value += "; \(Self.serverMaxWindowBitsName)=\(bits)" }
        switch clientMaxWindowBits {
        case .notOffered: break
        case .serverMayLimit: value += "; \(Self.clientMaxWindowBitsName)"
        case .limit(let bits): value += "; \(Self.clientMaxWindowBitsName)=\(bits)"
        }
        return value
    }

    /// The parameters in effect after the server answered with `response` (its
    /// `Sec-WebSocket-Extensions` value, several header lines joined with ", "), or nil when it
    /// declined compression (no value, or an empty one).
    ///
    /// - Throws: when the answer is not one the offer allows (§5.1, §7.1): another extension,
    ///   permessage-deflate twice, an unknown or repeated parameter, a bad value, a
    ///   `client_max_window_bits` not offered, or an offered server parameter not accepted. The
    ///   client must then fail the handshake.
    package func accept(
        response: String
    ) throws(PerMessageDeflateNegotiationError) -> PerMessageDeflateParameters? {
        guard let list = WebSocketExtension.parseList(response) else { throw .malformedHeader(response) }
        guard let answer = list.first else { return nil }
        for element in list where element.name != PerMessageDeflateParameters.extensionName {
            throw .unexpectedExtension(element.name)
        }
        guard list.count == 1 else { throw .duplicateExtension }
        var parameters = PerMessageDeflateParameters()
        if case .limit(let bits) = clientMaxWindowBits { parameters.clientMaxWindowBits = bits }
        var seen: Set<String> = []
        for parameter in answer.parameters {
            guard seen.insert(parameter.name).inserted else { throw .duplicateParameter(parameter.name) }
            switch parameter.name {
            case Self.serverNoContextTakeoverName:
                try Self.requireNoValue(parameter)
                parameters.serverNoContextTakeover = true
            case Self.clientNoContextTakeoverName:
                try Self.requireNoValue(parameter)
                parameters.clientNoContextTakeover = true
            case Self.serverMaxWindowBitsName:
                let bits = try PerMessageDeflateParameters.windowBits(parameter.value, parameter: parameter.name)
                // The server may only go lower than what was asked (§7.1.2.1).
                if let asked = serverMaxWindowBits, bits > asked {
                    throw .invalidValue(parameter: parameter.name, value: parameter.value)
                }
                parameters.serverMaxWindowBits = bits
            case Self.clientMaxWindowBitsName:
                let bits = try PerMessageDeflateParameters.windowBits(parameter.value, parameter: parameter.name)
                switch clientMaxWindowBits {
                case .notOffered: throw .unrequestedParameter(parameter.name)
                case .limit(let offered) where bits > offered:
                    throw .invalidValue(parameter: parameter.name, value: parameter.value)
                case .serverMayLimit, .limit: parameters.clientMaxWindowBits = bits
                }
            default:
                throw .unknownParameter(parameter.name)
            }
        }
        if serverNoContextTakeover && !parameters.serverNoContextTakeover {
            throw .missingParameter(Self.serverNoContextTakeoverName)
        }
        if serverMaxWindowBits != nil && !seen.contains(Self.serverMaxWindowBitsName) {
            throw .missingParameter(Self.serverMaxWindowBitsName)
        }
        return parameters
    }

    private static func requireNoValue(
        _ parameter: WebSocketExtension.Parameter
    ) throws(PerMessageDeflateNegotiationError) {
        guard parameter.value == nil else { throw .invalidValue(parameter: parameter.name, value: parameter.value) }
    }
}

extension PerMessageDeflateOffer {
    /// A server's answer to a client's `Sec-WebSocket-Extensions` value: the first
    /// permessage-deflate offer in it that is valid, accepted as asked (the server honours
    /// `server_no_context_takeover` and `server_max_window_bits`, echoes
    /// `client_no_context_takeover` and leaves the client's window alone), or nil when there is
    /// none, which declines compression. Invalid offers are skipped, as RFC 7692 §5 allows.
    package static func respond(
        to offers: String
    ) -> (headerValue: String, parameters: PerMessageDeflateParameters)? {
        for element in WebSocketExtension.parseList(offers) ?? []
        where element.name == PerMessageDeflateParameters.extensionName {
            guard let offer = try? PerMessageDeflateOffer(parsing: element) else { continue }
            return offer.serverAnswer
        }
        return nil
    }

    /// Reads one permessage-deflate element of a client's offer.
    private init(parsing element: WebSocketExtension) throws(PerMessageDeflateNegotiationError) {
        self.init()
        clientMaxWindowBits = .notOffered
        var seen: Set<String> = []
        for parameter in element.parameters {
            guard seen.insert(parameter.name).inserted else { throw .duplicateParameter(parameter.name) }
            switch parameter.name {
            case Self.serverNoContextTakeoverName:
                try Self.requireNoValue(parameter)
                serverNoContextTakeover = true
            case Self.clientNoContextTakeoverName:
                try Self.requireNoValue(parameter)
                clientNoContextTakeover = true
            case Self.serverMaxWindowBitsName:
                serverMaxWindowBits = try PerMessageDeflateParameters.windowBits(
                    parameter.value, parameter: parameter.name)
            case Self.clientMaxWindowBitsName:
                clientMaxWindowBits =
                    parameter.value == nil
                    ? .serverMayLimit
                    : .limit(try PerMessageDeflateParameters.windowBits(parameter.value, parameter: parameter.name))
            default:
                throw .unknownParameter(parameter.name)
            }
        }
    }

    /// The response that accepts this offer as asked, and the parameters it puts in effect.
    private var serverAnswer: (headerValue: String, parameters: PerMessageDeflateParameters) {
        var parameters = PerMessageDeflateParameters(
            serverNoContextTakeover: serverNoContextTakeover, clientNoContextTakeover: clientNoContextTakeover,
            serverMaxWindowBits: serverMaxWindowBits ?? 15)
        var value = PerMessageDeflateParameters.extensionName
        if serverNoContextTakeover { value += "; \(Self.serverNoContextTakeoverName)" }
        if clientNoContextTakeover { value += "; \(Self.clientNoContextTakeoverName)" }
        if let bits = serverMaxWindowBits { value += "; \(Self.serverMaxWindowBitsName)=\(bits)" }
        if case .limit(let bits) = clientMaxWindowBits { parameters.clientMaxWindowBits = bits }
        return (value, parameters)
    }
}
