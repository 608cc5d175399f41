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

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public func authenticate(_ response: HTTPResponse) async throws -> HTTPRequest? {
        let header = response.status.code == 407 ? "Proxy-Authorization" : "Authorization"
        let challengeHeader = response.status.code == 407 ? "Proxy-Authenticate" : "WWW-Authenticate"
        let challenges = response.headers.values(for: challengeHeader).flatMap(AuthChallenge.parse)
            .filter { $0.scheme.lowercased() == "digest" }
        guard let (challenge, algorithm, session) = DigestAuthenticator.strongest(challenges) else { return nil }
        let alreadyTried = response.request.headers[header]?.lowercased().hasPrefix("digest ") ?? false
        if alreadyTried && challenge.parameters["stale"]?.lowercased() != "true" { return nil }
        guard let realm = challenge.parameters["realm"], let nonce = challenge.parameters["nonce"] else { return nil }
        let qops = (challenge.parameters["qop"] ?? "").split(separator: ",").map {
            $0.trimmingWhitespace().lowercased()
        }
        guard qops.isEmpty || qops.contains("auth") else { return nil }

        var request = response.request
        let uri = (try? request.target.path) ?? "/"
        let cnonce = DigestAuthenticator.clientNonce()
        let credentials = DigestAuthenticator.Credentials(
            username: username, password: password, realm: realm, method: request.method.rawValue, uri: uri,
            nonce: nonce, cnonce: cnonce, nc: "00000001", qop: qops.isEmpty ? nil : "auth",
            algorithm: algorithm, session: session
        )
        var fields = [
            "username=\"\(username)\"", "realm=\"\(realm)\"", "uri=\"\(uri)\"",
            "algorithm=\(algorithm.rawValue)\(session ? "-sess" : "")", "nonce=\"\(nonce)\"",
        ]
        if credentials.qop != nil { fields += ["nc=00000001", "cnonce=\"\(cnonce)\"", "qop=auth"] }
        fields.append("response=\"\(credentials.response)\"")
        if let opaque = challenge.parameters["opaque"] { fields.append("opaque=\"\(opaque)\"") }
        request.headers[header] = "Digest " + fields.joined(separator: ", ")
        return request
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

    private static func clientNonce() -> String {
        (0..<16).map { _ in String(UInt8.random(in: 0...255), radix: 16) }.joined()
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

/// One challenge of `WWW-Authenticate`: a scheme and its auth-params (RFC 9110 §11.2).
struct AuthChallenge {
    let scheme: String
    var parameters: [String: String]

    /// Every challenge in one header value; quoted strings may hold commas.
    static func parse(_ value: String) -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        var scanner = Substring(value)
        while !scanner.isEmpty {
            scanner = scanner.drop { $0 == " " || $0 == "," }
            let token = scanner.prefix { $0 != " " && $0 != "," && $0 != "=" }
            guard !token.isEmpty else { break }
            let after = scanner.dropFirst(token.count)
            let rest = after.drop { $0 == " " }
            if rest.first == "=", !challenges.isEmpty {
                // A parameter of the current challenge.
                var remainder = rest.dropFirst().drop { $0 == " " }
                var parameter = ""
                if remainder.first == "\"" {
                    remainder = remainder.dropFirst()
                    while let character = remainder.first, character != "\"" {
                        if character == "\\" { remainder = remainder.dropFirst() }
                        if let next = remainder.first { parameter.append(next) }
                        remainder = remainder.dropFirst()
                    }
                    remainder = remainder.dropFirst()
                } else {
                    parameter = String(remainder.prefix { $0 != "," && $0 != " " })
                    remainder = remainder.dropFirst(parameter.count)
                }
                challenges[challenges.count - 1].parameters[token.lowercased()] = parameter
                scanner = remainder
            } else {
                challenges.append(AuthChallenge(scheme: String(token), parameters: [:]))
                scanner = after
            }
        }
        return challenges
    }
}
