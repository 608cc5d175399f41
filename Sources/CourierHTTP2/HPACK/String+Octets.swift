import Glibc

extension String {
    /// Whether the two strings are the same octets. `==` also equates strings that are only
    /// canonically equivalent (`;` and U+037E, composed and decomposed accents): an index or a
    /// replayed encoding chosen by it would put octets on the wire that the caller did not set.
    ///
    /// One `memcmp` over the UTF-8: the encoder asks this of every field of every request, and
    /// the element-by-element walk it replaced was 2 % of an HTTP/2 call's CPU.
    func hasSameOctets(as other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var lhs = self
        var rhs = other
        return lhs.withUTF8 { a in
            rhs.withUTF8 { b in a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }
}
