/// An IP address literal as its network-order bytes (4 for IPv4, 16 for IPv6), parsed without
/// the C library so that CourierCore can compare addresses: `NO_PROXY` entries and CIDR blocks.
package enum IPAddressBytes {
    /// The bytes of `text`, a dotted quad or an IPv6 address without brackets; nil otherwise.
    package static func parse(_ text: some StringProtocol) -> [UInt8]? {
        text.contains(":") ? parseIPv6(text) : parseIPv4(text)
    }

    private static func parseIPv4(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Digits only: `UInt8` alone would take a sign (`+1`), which no address has.
            guard (1...3).contains(part.count), part.utf8.allSatisfy(isDigit), let value = UInt8(part),
                part.count == 1 || part.first != "0"
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: some StringProtocol) -> [UInt8]? {
        let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        // A dotted quad may only end the address: not before a `::`.
        guard let head = groups(halves[0], quadAllowed: halves.count == 1) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1], quadAllowed: true), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Colon-separated 16-bit groups, the last of which may be a dotted quad.
    private static func groups(_ text: some StringProtocol, quadAllowed: Bool) -> [UInt8]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, part) in parts.enumerated() {
            if quadAllowed, index == parts.count - 1, part.contains(".") {
                guard let quad = parseIPv4(part) else { return nil }
                bytes += quad
                continue
            }
            guard (1...4).contains(part.count), part.utf8.allSatisfy(isHexDigit), let value = UInt16(part, radix: 16)
            else { return nil }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes.count <= 16 ? bytes : nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        HTTPSyntax.hexValue(byte) != nil
    }
}
