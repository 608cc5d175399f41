/// The Public Suffix List: the domains under which anyone can register names (`com`, `co.uk`,
/// `github.io`), which a cookie's `Domain` must never name, or every site below it would share
/// the cookie. Generated into the source by `scripts/update-public-suffix-list.sh`; see
/// `Docs/Cookies.md` for updating it.
package enum PublicSuffixList {
    private struct Rules {
        var exact: Set<String> = []
        var wildcards: Set<String> = []
        var exceptions: Set<String> = []
    }

    private static let parsed: Rules = {
        var parsed = Rules()
        for line in rules.split(separator: "\n") {
            let rule = line.trimmingWhitespace().lowercased()
            if rule.hasPrefix("!") {
                parsed.exceptions.insert(String(rule.dropFirst()))
            } else if rule.hasPrefix("*.") {
                parsed.wildcards.insert(String(rule.dropFirst(2)))
            } else if !rule.isEmpty {
                parsed.exact.insert(rule)
            }
        }
        return parsed
    }()

    /// Whether `domain` (lowercase, no trailing dot) is itself a public suffix.
    ///
    /// The list's algorithm: an exception rule wins; otherwise a name is a suffix if a rule
    /// names it exactly or a wildcard rule names its parent. A name no rule covers falls under
    /// the implicit `*` rule only as a single label (an unlisted TLD).
    package static func isPublicSuffix(_ domain: String) -> Bool {
        let rules = parsed
        if rules.exceptions.contains(domain) { return false }
        if rules.exact.contains(domain) { return true }
        guard let dot = domain.firstIndex(of: ".") else { return true }
        return rules.wildcards.contains(String(domain[domain.index(after: dot)...]))
    }
}
