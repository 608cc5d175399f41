import CourierCore

/// `AuthChallenge.parse` on `WWW-Authenticate` / `Proxy-Authenticate` values (RFC 9110 §11.2).
///
/// Input: the header value, decoded as the head parser decodes field values.
///
/// Invariants: every scheme and parameter name is non-empty and free of the separators that end
/// it (space, comma, `=`); parameter names are lowercase, as lookups expect; and the challenges
/// written back in canonical form (`scheme name="value", ...`, quotes and backslashes escaped)
/// parse to the same challenges, so the parser does not lose or invent structure.
enum AuthChallengeTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        let header = String(decoding: data, as: UTF8.self)
        let challenges = AuthChallenge.parse(header)
        require(challenges.count <= header.utf8.count, "\(challenges.count) challenges from \(header.utf8.count) bytes")
        for challenge in challenges {
            require(isToken(challenge.scheme), "scheme \(escaped(challenge.scheme.utf8)) from \(escaped(header.utf8))")
            for name in challenge.parameters.keys {
                require(isToken(name), "parameter name \(escaped(name.utf8)) from \(escaped(header.utf8))")
                require(name == name.lowercased(), "parameter name \(escaped(name.utf8)) is not lowercase")
            }
        }

        let written = canonical(challenges)
        let reparsed = AuthChallenge.parse(written)
        require(
            reparsed.map(\.scheme) == challenges.map(\.scheme)
                && reparsed.map(\.parameters) == challenges.map(\.parameters),
            "\(escaped(header.utf8)) parses to challenges that, written as \(escaped(written.utf8)), parse differently"
        )
    }

    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && !text.contains(" ") && !text.contains(",") && !text.contains("=")
    }

    /// One challenge after another, every parameter value quoted.
    private static func canonical(_ challenges: [AuthChallenge]) -> String {
        challenges.map { challenge in
            let parameters = challenge.parameters.sorted { $0.key < $1.key }.map { name, value in
                var quoted = "\""
                for character in value {
                    if character == "\"" || character == "\\" { quoted.append("\\") }
                    quoted.append(character)
                }
                return name + "=" + quoted + "\""
            }
            return ([challenge.scheme] + [parameters.joined(separator: ", ")]).filter { !$0.isEmpty }.joined(
                separator: " ")
        }.joined(separator: ", ")
    }
}
