/// A field in an HPACK table, with the size RFC 7541 §4.1 charges for it.
package struct HPACKField: Sendable {
    /// Octets an entry costs beyond its name and value (RFC 7541 §4.1), and what RFC 9113 §6.5.2
    /// adds per field to a header list's size.
    package static let overhead = 32

    package let name: String
    package let value: String
    /// The name's octets as they were on the wire. Kept rather than recomputed because a decoded
    /// string repairs invalid UTF-8, which changes its length, and the table must be charged
    /// exactly as the peer's encoder charges it.
    package let nameOctets: Int
    /// The name's and value's octets on the wire plus ``overhead``.
    package let size: Int

    package init(name: String, value: String, nameOctets: Int, valueOctets: Int) {
        self.name = name
        self.value = value
        self.nameOctets = nameOctets
        self.size = nameOctets + valueOctets + HPACKField.overhead
    }

    package init(name: String, value: String) {
        self.init(name: name, value: value, nameOctets: name.utf8.count, valueOctets: value.utf8.count)
    }
}
