package import CourierCore

/// Secondary keys (RFC 9111 §4.1): a stored response answers a later request only when that
/// request has the same values as the first one for every field the response's `Vary` names.
package enum Vary {
    /// The field names the `Vary` fields of `headers` list, lowercased; `*` included as is.
    package static func fieldNames(_ headers: HTTPHeaders) -> [String] {
        var names: [String] = []
        for value in headers.values(for: "Vary") {
            for element in value.split(separator: ",") {
                let name = element.trimmingCharacters(in: " \t").lowercased()
                if !name.isEmpty && !names.contains(name) { names.append(name) }
            }
        }
        return names
    }

    /// Whether `head`, stored for an earlier request, may answer `request`. `Vary: *` matches
    /// nothing.
    package static func matches(_ head: CachedResponseHead, _ request: HTTPRequest) -> Bool {
        for name in fieldNames(head.headers) {
            if name == "*" { return false }
            if normalized(request.headers.values(for: name)) != normalized(head.varyingRequestHeaders.values(for: name))
            {
                return false
            }
        }
        return true
    }

    /// Values compared as one list with the whitespace around its elements removed, so
    /// `a,b` and `a, b` (or two fields `a` and `b`) select the same response, as §4.1 allows.
    private static func normalized(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingCharacters(in: " \t") }
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        guard let start = firstIndex(where: { !characters.contains($0) }),
            let end = lastIndex(where: { !characters.contains($0) })
        else { return "" }
        return String(self[start...end])
    }
}
