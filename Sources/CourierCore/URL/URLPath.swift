/// The path of a URL as it goes on the wire.
package enum URLPath {
    /// The origin-form path for `path`, its `.` and `..` segments resolved (RFC 3986 §5.2.4, in
    /// the URL Standard's form: `%2e` counts as a dot, and a trailing dot segment leaves a
    /// trailing slash). Foundation resolves them only in a relative reference; curl, OkHttp and
    /// browsers resolve them in every URL, and a server that does not could be led out of the
    /// directory the URL names.
    package static func removingDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        guard path.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "%") }) else { return path }
        // Split as octets: a `/` followed by a combining mark is one Character, which a split
        // of the String would not see.
        let bytes = Array(path.utf8)
        let segments = bytes.first == UInt8(ascii: "/") ? bytes.dropFirst() : bytes[...]
        let parts = segments.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var kept: [ArraySlice<UInt8>] = []
        for (index, part) in parts.enumerated() {
            let isLast = index == parts.count - 1
            switch dots(part) {
            case 2:
                if !kept.isEmpty { kept.removeLast() }
                if isLast { kept.append([]) }
            case 1:
                if isLast { kept.append([]) }
            default:
                kept.append(part)
            }
        }
        return "/" + kept.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }

    /// 1 for a `.` segment, 2 for `..`, with `%2e` in either case standing for a dot; else 0.
    private static func dots(_ segment: ArraySlice<UInt8>) -> Int {
        var count = 0
        var rest = segment
        while let first = rest.first {
            if first == UInt8(ascii: ".") {
                rest = rest.dropFirst()
            } else if first == UInt8(ascii: "%"), rest.count >= 3,
                rest.dropFirst().first == UInt8(ascii: "2"),
                rest.dropFirst(2).first.map(HTTPSyntax.lowercased) == UInt8(ascii: "e")
            {
                rest = rest.dropFirst(3)
            } else {
                return 0
            }
            count += 1
            if count > 2 { return 0 }
        }
        return count
    }
}
