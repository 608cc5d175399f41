package import CourierCore
import Glibc

/// The client side of a SOCKS5 handshake (RFC 1928) with optional username/password
/// authentication (RFC 1929), as a value: it says what to send and reads what comes back,
/// without a socket, so every exchange of bytes can be tested as a script.
///
/// ```text
/// → 05 01 00           greeting: version 5, one method: no authentication (or 05 02 00 02)
/// ← 05 00              the proxy picks a method (02: username/password, FF: none acceptable)
/// → 01 ulen user plen pass     only for method 02; ← 01 00 means accepted
/// → 05 01 00 03 len host port  CONNECT to a host name (01: IPv4, 04: IPv6)
/// ← 05 00 00 atyp addr port    00 succeeded; 01–08 a refusal (RFC 1928 §6)
/// ```
///
/// The destination's host name goes to the proxy, which resolves it (curl's `socks5h`); an IP
/// literal goes as an address.
package struct SOCKS5Handshake: Sendable {
    /// Where the proxy is asked to connect.
    package enum Destination: Hashable, Sendable {
        case ipv4([UInt8])
        case ipv6([UInt8])
        case domain(String)
    }

    /// What the owner does next.
    package enum Action: Equatable, Sendable {
        /// Write these bytes, then read.
        case send([UInt8])
        /// Read more bytes; the handshake needs them.
        case needMore
        /// The tunnel is open; the proxy connected from this address (often zeros).
        case established(bound: ResolvedAddress)
    }

    private enum State: Sendable {
        case start
        case awaitingMethod
        case awaitingAuthentication
        case awaitingReply
        case established
    }

    package let destination: Destination
    package let port: Int
    private let credentials: Proxy.Credentials?
    /// Names the proxy in errors.
    private let proxyName: String
    private var state = State.start

    /// - Throws: `.invalidRequest` for a host name or credentials longer than SOCKS5 carries
    ///   (255 bytes each) or empty.
    package init(host: String, port: Int, credentials: Proxy.Credentials?, proxyName: String) throws(HTTPClientError) {
        if let v4 = SOCKS5Handshake.address(host, family: AF_INET, count: 4) {
            destination = .ipv4(v4)
        } else if let v6 = SOCKS5Handshake.address(host, family: AF_INET6, count: 16) {
            destination = .ipv6(v6)
        } else {
            guard (1...255).contains(host.utf8.count) else {
                throw HTTPClientError(
                    .invalidRequest, "Host name \(host) is too long for a SOCKS5 request (255 bytes).")
            }
            destination = .domain(host)
        }
        if let credentials {
            guard (1...255).contains(credentials.username.utf8.count),
                (1...255).contains(credentials.password.utf8.count)
            else {
                throw HTTPClientError(
                    .invalidRequest, "SOCKS5 username and password must each be 1 to 255 bytes (RFC 1929).")
            }
        }
        self.port = port
        self.credentials = credentials
        self.proxyName = proxyName
    }

    /// The greeting, which opens the handshake.
    package mutating func start() -> [UInt8] {
        precondition(state == .start, "the SOCKS5 greeting is sent once")
        state = .awaitingMethod
        return credentials == nil ? [5, 1, 0] : [5, 2, 0, 2]
    }

    /// Reads the proxy's bytes from the front of `input`; returns what to do and how many bytes
    /// it used. Bytes beyond the final reply are left for the caller, who should find none.
    package mutating func receive(_ input: [UInt8]) throws(HTTPClientError) -> (action: Action, consumed: Int) {
        switch state {
        case .start, .established:
            preconditionFailure("SOCKS5 bytes received in state \(state)")
        case .awaitingMethod:
            guard input.count >= 2 else { return (.needMore, 0) }
            guard input[0] == 5 else { throw violation("answered the greeting with version \(input[0]), not 5") }
            switch input[1] {
            case 0:
                state = .awaitingReply
                return (.send(connectRequest()), 2)
            case 2 where credentials != nil:
                state = .awaitingAuthentication
                return (.send(authenticationRequest()), 2)
            case 0xFF:
                throw HTTPClientError(
                    .proxy(.socksNoAcceptableMethod),
                    "SOCKS5 proxy \(proxyName) accepts none of the authentication methods offered ("
                        + (credentials == nil
                            ? "none; it may need a username and password)." : "none, username/password).")
                )
            default:
                throw violation("chose authentication method \(input[1]), which was not offered")
            }
        case .awaitingAuthentication:
            guard input.count >= 2 else { return (.needMore, 0) }
            guard input[1] == 0 else {
                throw HTTPClientError(
                    .proxy(.socksAuthenticationFailed),
                    "SOCKS5 proxy \(proxyName) rejected the username and password (status \(input[1])).")
            }
            state = .awaitingReply
            return (.send(connectRequest()), 2)
        case .awaitingReply:
            guard input.count >= 4 else { return (.needMore, 0) }
            guard input[0] == 5 else { throw violation("replied to CONNECT with version \(input[0]), not 5") }
            guard input[1] == 0 else {
                let reply = HTTPClientError.SOCKSReply(code: input[1])
                throw HTTPClientError(
                    .proxy(.socksRefused(reply)),
                    "SOCKS5 proxy \(proxyName) could not connect to \(destinationName):\(port): \(reply.reason).")
            }
            let length: Int
            switch input[3] {
            case 1: length = 4 + 4 + 2
            case 4: length = 4 + 16 + 2
            case 3:
                guard input.count >= 5 else { return (.needMore, 0) }
                length = 5 + Int(input[4]) + 2
            default: throw violation("replied with address type \(input[3])")
            }
            guard input.count >= length else { return (.needMore, 0) }
            state = .established
            let portBytes = input[length - 2..<length]
            let boundPort = Int(portBytes.first!) << 8 | Int(portBytes.last!)
            let host: String
            switch input[3] {
            case 1: host = input[4..<8].map(String.init).joined(separator: ".")
            case 4: host = SOCKS5Handshake.ipv6Text(Array(input[4..<20]))
            default: host = String(decoding: input[5..<(length - 2)], as: UTF8.self)
            }
            return (.established(bound: ResolvedAddress(ip: host, port: boundPort)), length)
        }
    }

    /// Whether the tunnel is open.
    package var isEstablished: Bool { state == .established }

    private var destinationName: String {
        switch destination {
        case .ipv4(let bytes): bytes.map(String.init).joined(separator: ".")
        case .ipv6(let bytes): "[\(SOCKS5Handshake.ipv6Text(bytes))]"
        case .domain(let name): name
        }
    }

    private func authenticationRequest() -> [UInt8] {
        let username = Array(credentials!.username.utf8)
        let password = Array(credentials!.password.utf8)
        return [1, UInt8(username.count)] + username + [UInt8(password.count)] + password
    }

    private func connectRequest() -> [UInt8] {
        var bytes: [UInt8] = [5, 1, 0]
        switch destination {
        case .ipv4(let address): bytes += [1] + address
        case .ipv6(let address): bytes += [4] + address
        case .domain(let name): bytes += [3, UInt8(name.utf8.count)] + Array(name.utf8)
        }
        return bytes + [UInt8(port >> 8), UInt8(port & 0xFF)]
    }

    private func violation(_ what: String) -> HTTPClientError {
        HTTPClientError(.proxy(.protocolViolation), "SOCKS5 proxy \(proxyName) \(what).")
    }

    private static func address(_ host: String, family: Int32, count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        return inet_pton(family, host, &bytes) == 1 ? bytes : nil
    }

    private static func ipv6Text(_ bytes: [UInt8]) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var address = bytes
        guard inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil else { return "::" }
        return String(decoding: text.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
    }
}
