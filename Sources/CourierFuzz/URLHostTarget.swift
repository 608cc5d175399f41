import CourierCore

/// `URLHost.canonical` (the URL Standard's host parser: percent-decoding, UTS #46 ToASCII with
/// Punycode, IPv4 number forms, IPv6), `Punycode` and `URLPath.removingDotSegments` on hostile
/// text: a redirect's `Location` chooses all of it.
///
/// Input: a byte choosing what to run, then the text (UTF-8, invalid bytes replaced).
///
/// Invariants: a host that is accepted comes out lower-case ASCII without a forbidden code point
/// (an IPv6 address: hex digits and colons), and is its own canonical form; Punycode decodes
/// what it encoded; a path without dot segments is left alone, and resolving twice is resolving
/// once.
enum URLHostTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let mode = input.byte() % 3
        let text = String(decoding: input.rest(), as: UTF8.self)
        switch mode {
        case 0: checkHost(text)
        case 1: checkPunycode(text)
        default: checkPath(text)
        }
    }

    private static func checkHost(_ text: String) {
        guard let host = URLHost.canonical(text) else { return }
        let bytes = Array(host.utf8)
        require(!bytes.isEmpty, "empty host from \(escaped(text.utf8))")
        if host.contains(":") {
            require(
                bytes.allSatisfy { $0 == UInt8(ascii: ":") || isHexDigit($0) && !isUpper($0) },
                "IPv6 host \(escaped(bytes)) from \(escaped(text.utf8))")
        } else {
            require(
                bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && !isUpper($0) && !"#%/:<>?@[\\]^|".utf8.contains($0) },
                "host \(escaped(bytes)) from \(escaped(text.utf8)) is not lower-case ASCII without forbidden code points"
            )
        }
        require(URLHost.canonical(host) == host, "host \(escaped(bytes)) is not its own canonical form")
    }

    private static func checkPunycode(_ text: String) {
        let scalars = Array(text.unicodeScalars.prefix(Punycode.maxEncodedScalars))
        if let encoded = Punycode.encode(scalars) {
            require(encoded.utf8.allSatisfy { $0 < 0x80 }, "Punycode \(escaped(encoded.utf8)) is not ASCII")
            require(Punycode.decode(encoded[...]) == scalars, "Punycode of \(escaped(text.utf8)) does not decode back")
        }
        _ = Punycode.decode(Substring(text))
    }

    private static func checkPath(_ text: String) {
        // Octets throughout: a `/` followed by a combining mark is one Character.
        let path =
            "/"
            + String(decoding: text.utf8.filter { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }, as: UTF8.self)
        let resolved = URLPath.removingDotSegments(path)
        require(
            resolved.utf8.first == UInt8(ascii: "/"), "resolved path \(escaped(resolved.utf8)) does not start with /")
        require(
            URLPath.removingDotSegments(resolved) == resolved, "resolving \(escaped(path.utf8)) twice changes it")
        let dotted = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).contains {
            segment in
            let text = String(decoding: segment, as: UTF8.self).lowercased()
            return text == "." || text == ".." || text.contains("%2e")
        }
        require(
            dotted || resolved.utf8.elementsEqual(path.utf8),
            "a path without dot segments changed: \(escaped(path.utf8))")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isUpper(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
