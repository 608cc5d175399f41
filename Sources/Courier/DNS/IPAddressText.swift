/// The text form of an address from a DNS record: dotted decimal for IPv4, and for IPv6 the
/// canonical form of RFC 5952 (lowercase, no leading zeros, the longest run of two or more zero
/// groups shortened to "::"), as the rest of the client writes them.
enum IPAddressText {
    static func format(_ octets: some Collection<UInt8>) -> String {
        let octets = Array(octets)
        guard octets.count == 16 else { return octets.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(octets[2 * $0]) << 8 | UInt16(octets[2 * $0 + 1]) }
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}
