/// `%XX` escapes (RFC 3986 §2.1), decoded the one way hosts and proxy credentials both need.
package enum PercentDecoding {
    /// The octets `text` stands for, every `%XX` decoded; `complete` is false when some `%`
    /// starts no escape (it is kept as it is, as the URL Standard's host parser keeps it).
    package static func octets(_ text: some StringProtocol) -> (octets: [UInt8], complete: Bool) {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var complete = true
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                if index + 2 < bytes.count, let high = HTTPSyntax.hexValue(bytes[index + 1]),
                    let low = HTTPSyntax.hexValue(bytes[index + 2])
                {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
                complete = false
            }
            output.append(bytes[index])
            index += 1
        }
        return (output, complete)
    }
}
