/// One challenge of `WWW-Authenticate`: a scheme and its auth-params (RFC 9110 §11.2).
package struct AuthChallenge: Sendable {
    package let scheme: String
    package var parameters: [String: String]

    /// Every challenge of a 401 (`WWW-Authenticate`) or 407 (`Proxy-Authenticate`) response.
    package static func challenges(in response: HTTPResponse) -> [AuthChallenge] {
        let header = response.status.code == 407 ? "Proxy-Authenticate" : "WWW-Authenticate"
        return response.headers.values(for: header).flatMap(parse)
    }

    /// Whether any challenge of the response uses `scheme` (case-insensitive).
    package static func offers(_ scheme: String, in response: HTTPResponse) -> Bool {
        challenges(in: response).contains { $0.scheme.equalsIgnoringASCIICase(scheme) }
    }

    /// Every challenge in one header value; quoted strings may hold commas.
    package static func parse(_ value: String) -> [AuthChallenge] {
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
