import CourierCore
import CourierTransport

/// HTTP Digest authentication (RFC 7616): MD5, SHA-256 and SHA-512-256, their `-sess` variants,
/// and `qop=auth` (or none, as in RFC 2069). Of several challenges the strongest algorithm wins.
///
/// Credentials that the server rejects are not retried — unless it says `stale=true`, meaning
/// only the nonce expired.
public struct DigestAuthenticator: Authenticator {
    public let username: String
    public let password: String
    public let scope: AuthenticationScope

    public init(username: String, password: String, scope: AuthenticationScope = .callOrigin) {
        self.username = username
        self.password = password
        self.scope = scope
    }

    public func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest? {
        let header = response.status.code == 407 ? "Proxy-Authorization" : "Authorization"
        let challenges = AuthChallenge.challenges(in: response).filter { $0.scheme.lowercased() == "digest" }
        guard let (challenge, algorithm, session) = DigestAuthenticator.strongest(challenges) else { return nil }
        let alreadyTried = response.request.headers[header]?.lowercased().hasPrefix("digest ") ?? false
        if alreadyTried && challenge.parameters["stale"]?.lowercased() != "true" { return nil }
        guard let realm = challenge.parameters["realm"], let nonce = challenge.parameters["nonce"] else { return nil }
        let qops = ListElements(challenge.parameters["qop"] ?? "").map { $0.lowercased() }
        guard qops.isEmpty || qops.contains("auth") else { return nil }

        var request = response.request
        let uri = DigestAuthenticator.uri(of: request, forProxy: response.status.code == 407)
        let cnonce = DigestAuthenticator.clientNonce()
        let credentials = DigestAuthenticator.Credentials(
            username: username, password: password, realm: realm, method: request.method.rawValue, uri: uri,
            nonce: nonce, cnonce: cnonce, nc: "00000001", qop: qops.isEmpty ? nil : "auth",
            algorithm: algorithm, session: session
        )
        let quoted = DigestAuthenticator.quoted
        var fields = [
            DigestAuthenticator.usernameField(
                username, realm: realm, hashed: challenge.parameters["userhash"]?.lowercased() == "true",
                algorithm: algorithm),
            "realm=\(quoted(realm))", "uri=\(quoted(uri))",
            "algorithm=\(algorithm.rawValue)\(session ? "-sess" : "")", "nonce=\(quoted(nonce))",
        ]
        if credentials.qop != nil { fields += ["nc=00000001", "cnonce=\(quoted(cnonce))", "qop=auth"] }
        fields.append("response=\(quoted(credentials.response))")
        if let opaque = challenge.parameters["opaque"] { fields.append("opaque=\(quoted(opaque))") }
        request.headers[header] = "Digest " + fields.joined(separator: ", ")
        return request
    }

    /// RFC 7616 §3.4.4: the username as the server asked for it — hashed with the realm when it
    /// said `userhash=true` (so that it does not travel in clear), else as a quoted-string, or
    /// as `username*` (RFC 8187's UTF-8 ext-value) when it is not ASCII, which a quoted-string
    /// cannot carry.
    private static func usernameField(
        _ username: String, realm: String, hashed: Bool, algorithm: MessageDigest
    ) -> String {
        if hashed { return "username=\(quoted(algorithm.hex("\(username):\(realm)"))), userhash=true" }
        guard username.utf8.contains(where: { $0 >= 0x80 }) else { return "username=\(quoted(username))" }
        let encoded = username.utf8.map { byte -> String in
            let unreserved =
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "!#$&+-.^_`|~".utf8.contains(byte)
            return unreserved
                ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return "username*=UTF-8''" + encoded.joined()
    }

    /// The `uri` the response hash covers: the request-target as the request line carries it
    /// (RFC 7616 §3.4), since the server checks the two agree — authority-form `host:port` for
    /// `CONNECT`, absolute-form to a forwarding proxy, origin-form to a server.
    private static func uri(of request: HTTPRequest, forProxy: Bool) -> String {
        guard let target = try? request.target else { return "/" }
        if request.method == .connect { return request.headers["Host"] ?? target.authority }
        return forProxy ? "\(target.scheme)://\(target.authority)\(target.path)" : target.path
    }

    /// The challenge with the strongest algorithm this client speaks.
    private static func strongest(_ challenges: [AuthChallenge]) -> (AuthChallenge, MessageDigest, Bool)? {
        var best: (AuthChallenge, MessageDigest, Bool, Int)?
        for challenge in challenges {
            var name = (challenge.parameters["algorithm"] ?? "MD5").uppercased()
            let session = name.hasSuffix("-SESS")
            if session { name.removeLast(5) }
            guard let algorithm = MessageDigest(rawValue: name),
                let rank = MessageDigest.allCases.firstIndex(of: algorithm)
            else { continue }
            if best == nil || rank > best!.3 { best = (challenge, algorithm, session, rank) }
        }
        return best.map { ($0.0, $0.1, $0.2) }
    }

    /// A quoted-string (RFC 9110 §5.6.4): a `"` or `\\` in a username or in what the server
    /// sent would otherwise end the value early and let the rest read as other parameters.
    private static func quoted(_ value: String) -> String {
        var result = "\""
        for character in value {
            if character == "\"" || character == "\\" { result.append("\\") }
            result.append(character)
        }
        return result + "\""
    }

    /// 16 random bytes as 32 hex digits.
    private static func clientNonce() -> String {
        (0..<16).map { _ in
            let byte = UInt8.random(in: 0...255)
            return (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }.joined()
    }

    /// RFC 7616 §3.4.1–3.4.3: the response hash from its inputs.
    struct Credentials {
        let username: String
        let password: String
        let realm: String
        let method: String
        let uri: String
        let nonce: String
        let cnonce: String
        let nc: String
        let qop: String?
        let algorithm: MessageDigest
        let session: Bool

        var response: String {
            let h = algorithm.hex
            var ha1 = h("\(username):\(realm):\(password)")
            if session { ha1 = h("\(ha1):\(nonce):\(cnonce)") }
            let ha2 = h("\(method):\(uri)")
            guard let qop else { return h("\(ha1):\(nonce):\(ha2)") }
            return h("\(ha1):\(nonce):\(nc):\(cnonce):\(qop):\(ha2)")
        }
    }
}
