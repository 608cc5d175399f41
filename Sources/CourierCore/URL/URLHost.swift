/// The host of an `http`, `https`, `ws` or `wss` URL as the URL Standard's host parser reads it:
/// the one spelling that goes into DNS, the `Host` header, TLS, cookies and `no_proxy`.
///
/// Foundation's `URL` follows RFC 3986 and keeps a host as it was written: percent-encoded
/// (`m%C3%BCnchen.de`), a short-form address (`127.1`, `0x7f.0.0.1`), an IPv6 address in any of
/// its spellings. A browser, curl and OkHttp all send `xn--mnchen-3ya.de`, `127.0.0.1` and `::1`;
/// so does Courier, and what the standard refuses (`1.2.3.4.5`, `ho%00st`, `[::1.2.3.]`) is an
/// invalid URL rather than a DNS lookup of nonsense.
package enum URLHost {
    /// The canonical host for `host` as Foundation's `URL` gives it (percent-encoded; an IPv6
    /// address with or without brackets): lower-case ASCII, an IPv4 address as a dotted quad, an
    /// IPv6 address compressed without brackets. Nil when the standard refuses the host.
    package static func canonical(_ host: String) -> String? {
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.utf8.count > 2 else { return nil }
            return ipv6(host.dropFirst().dropLast())
        }
        if host.contains(":") { return ipv6(host[...]) }
        guard let domain = DomainToASCII.convert(percentDecoded(host)), !domain.isEmpty,
            !domain.utf8.contains(where: isForbiddenInDomain)
        else { return nil }
        guard endsInANumber(domain) else { return domain }
        return ipv4(domain).map { bytes in bytes.map(String.init).joined(separator: ".") }
    }

    private static func ipv6(_ text: Substring) -> String? {
        guard let bytes = IPAddressBytes.parse(text), bytes.count == 16 else { return nil }
        return serializeIPv6(bytes)
    }

    /// RFC 5952's text form, which the URL Standard uses too: lower-case hex without leading
    /// zeros, the first longest run of two or more zero groups as `::`.
    private static func serializeIPv6(_ bytes: [UInt8]) -> String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best: Range<Int>?
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
            index = end
        }
        let hex = { (range: Range<Int>) in range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        guard let best else { return hex(0..<8) }
        return hex(0..<best.lowerBound) + "::" + hex(best.upperBound..<8)
    }

    /// `%XX` sequences as the bytes they stand for, the rest as is, read as UTF-8 (a malformed
    /// sequence becomes U+FFFD, which the mapping then refuses).
    private static func percentDecoded(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return String(decoding: PercentDecoding.octets(text).octets, as: UTF8.self)
    }

    /// The URL Standard's forbidden domain code points, in the ASCII that ToASCII leaves.
    private static func isForbiddenInDomain(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00...0x20, 0x7F, UInt8(ascii: "#"), UInt8(ascii: "%"), UInt8(ascii: "/"), UInt8(ascii: ":"),
            UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "?"), UInt8(ascii: "@"), UInt8(ascii: "["),
            UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "^"), UInt8(ascii: "|"):
            true
        default:
            false
        }
    }

    /// A host "ends in a number" when its last label (a trailing dot aside) is all digits or
    /// parses as a hex number: it is then an IPv4 address or nothing.
    private static func endsInANumber(_ domain: String) -> Bool {
        var labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        if labels.last?.isEmpty == true {
            guard labels.count > 1 else { return false }
            labels.removeLast()
        }
        guard let last = labels.last, !last.isEmpty else { return false }
        return last.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } || ipv4Number(last) != nil
    }

    /// The URL Standard's IPv4 parser: one to four numbers, each decimal, octal (leading `0`)
    /// or hex (`0x`), the last filling the bytes the others leave: `127.1` is `127.0.0.1`.
    private static func ipv4(_ domain: String) -> [UInt8]? {
        var parts = domain.split(separator: ".", omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true, parts.count > 1 { parts.removeLast() }
        guard parts.count <= 4 else { return nil }
        var numbers: [UInt64] = []
        for part in parts {
            guard let number = ipv4Number(part) else { return nil }
            numbers.append(number)
        }
        let last = numbers.removeLast()
        guard numbers.allSatisfy({ $0 <= 255 }), last < UInt64(1) << (8 * (4 - numbers.count)) else { return nil }
        var address = last
        for (index, number) in numbers.enumerated() { address += number << (8 * (3 - index)) }
        return (0..<4).map { UInt8(truncatingIfNeeded: address >> (8 * (3 - $0))) }
    }

    /// One number of an IPv4 address; nil when it is empty or has a digit its radix lacks.
    /// Values past 2^32 come back as 2^32, which every caller refuses.
    private static func ipv4Number(_ text: Substring) -> UInt64? {
        guard !text.isEmpty else { return nil }
        var digits = text.utf8[...]
        var radix: UInt64 = 10
        if digits.count >= 2, digits.first == UInt8(ascii: "0"),
            digits.dropFirst().first == UInt8(ascii: "x") || digits.dropFirst().first == UInt8(ascii: "X")
        {
            digits = digits.dropFirst(2)
            radix = 16
        } else if digits.count >= 2, digits.first == UInt8(ascii: "0") {
            digits = digits.dropFirst()
            radix = 8
        }
        var value: UInt64 = 0
        for byte in digits {
            guard let digit = HTTPSyntax.hexValue(byte).map(UInt64.init), digit < radix else { return nil }
            value = min(value * radix + digit, UInt64(1) << 32)
        }
        return value
    }
}
