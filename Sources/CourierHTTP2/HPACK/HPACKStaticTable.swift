/// The static table of RFC 7541 Appendix A: 61 fields that every HPACK context shares, at
/// indices 1...61, before the dynamic table's.
package enum HPACKStaticTable {
    package static let count = 61

    /// The field at a 1-based index in 1...61.
    package static subscript(index: Int) -> HPACKField { fields[index - 1] }

    /// For the encoder: the lowest index of a field with this name.
    package static func index(ofName name: String) -> Int? { nameIndices[name] }

    /// For the encoder: the index of the field with this value among those named as the field at
    /// `nameIndex` (the lowest index of its name). Fields of one name are adjacent in the table.
    /// Values are compared octet by octet, not as `String`s, which equate `K` and the Kelvin sign.
    package static func index(ofValue value: String, nameIndex: Int) -> Int? {
        let name = fields[nameIndex - 1].name
        var index = nameIndex
        while index <= count && fields[index - 1].name == name {
            if fields[index - 1].value.hasSameOctets(as: value) { return index }
            index += 1
        }
        return nil
    }

    private static let fields: [HPACKField] = [
        HPACKField(name: ":authority", value: ""),  // 1
        HPACKField(name: ":method", value: "GET"),  // 2
        HPACKField(name: ":method", value: "POST"),  // 3
        HPACKField(name: ":path", value: "/"),  // 4
        HPACKField(name: ":path", value: "/index.html"),  // 5
        HPACKField(name: ":scheme", value: "http"),  // 6
        HPACKField(name: ":scheme", value: "https"),  // 7
        HPACKField(name: ":status", value: "200"),  // 8
        HPACKField(name: ":status", value: "204"),  // 9
        HPACKField(name: ":status", value: "206"),  // 10
        HPACKField(name: ":status", value: "304"),  // 11
        HPACKField(name: ":status", value: "400"),  // 12
        HPACKField(name: ":status", value: "404"),  // 13
        HPACKField(name: ":status", value: "500"),  // 14
        HPACKField(name: "accept-charset", value: ""),  // 15
        HPACKField(name: "accept-encoding", value: "gzip, deflate"),  // 16
        HPACKField(name: "accept-language", value: ""),  // 17
        HPACKField(name: "accept-ranges", value: ""),  // 18
        HPACKField(name: "accept", value: ""),  // 19
        HPACKField(name: "access-control-allow-origin", value: ""),  // 20
        HPACKField(name: "age", value: ""),  // 21
        HPACKField(name: "allow", value: ""),  // 22
        HPACKField(name: "authorization", value: ""),  // 23
        HPACKField(name: "cache-control", value: ""),  // 24
        HPACKField(name: "content-disposition", value: ""),  // 25
        HPACKField(name: "content-encoding", value: ""),  // 26
        HPACKField(name: "content-language", value: ""),  // 27
        HPACKField(name: "content-length", value: ""),  // 28
        HPACKField(name: "content-location", value: ""),  // 29
        HPACKField(name: "content-range", value: ""),  // 30
        HPACKField(name: "content-type", value: ""),  // 31
        HPACKField(name: "cookie", value: ""),  // 32
        HPACKField(name: "date", value: ""),  // 33
        HPACKField(name: "etag", value: ""),  // 34
        HPACKField(name: "expect", value: ""),  // 35
        HPACKField(name: "expires", value: ""),  // 36
        HPACKField(name: "from", value: ""),  // 37
        HPACKField(name: "host", value: ""),  // 38
        HPACKField(name: "if-match", value: ""),  // 39
        HPACKField(name: "if-modified-since", value: ""),  // 40
        HPACKField(name: "if-none-match", value: ""),  // 41
        HPACKField(name: "if-range", value: ""),  // 42
        HPACKField(name: "if-unmodified-since", value: ""),  // 43
        HPACKField(name: "last-modified", value: ""),  // 44
        HPACKField(name: "link", value: ""),  // 45
        HPACKField(name: "location", value: ""),  // 46
        HPACKField(name: "max-forwards", value: ""),  // 47
        HPACKField(name: "proxy-authenticate", value: ""),  // 48
        HPACKField(name: "proxy-authorization", value: ""),  // 49
        HPACKField(name: "range", value: ""),  // 50
        HPACKField(name: "referer", value: ""),  // 51
        HPACKField(name: "refresh", value: ""),  // 52
        HPACKField(name: "retry-after", value: ""),  // 53
        HPACKField(name: "server", value: ""),  // 54
        HPACKField(name: "set-cookie", value: ""),  // 55
        HPACKField(name: "strict-transport-security", value: ""),  // 56
        HPACKField(name: "transfer-encoding", value: ""),  // 57
        HPACKField(name: "user-agent", value: ""),  // 58
        HPACKField(name: "vary", value: ""),  // 59
        HPACKField(name: "via", value: ""),  // 60
        HPACKField(name: "www-authenticate", value: ""),  // 61
    ]

    private static let nameIndices: [String: Int] = {
        var indices: [String: Int] = [:]
        for (offset, field) in fields.enumerated() where indices[field.name] == nil {
            indices[field.name] = offset + 1
        }
        return indices
    }()
}
