/// The elements of a comma-separated field value (RFC 9110 §5.6.1), each without its optional
/// whitespace, as substrings of the value: walking a list allocates nothing, which matters for
/// the framing and connection checks every response goes through.
package struct ListElements: Sequence, IteratorProtocol {
    private var rest: Substring?
    private let omittingEmpty: Bool

    /// `omittingEmpty: false` keeps empty elements (`"1,,1"` has three), for callers that must
    /// reject them rather than skip them.
    package init(_ value: some StringProtocol, omittingEmpty: Bool = true) {
        rest = Substring(value)
        self.omittingEmpty = omittingEmpty
    }

    package mutating func next() -> Substring? {
        while let remaining = rest {
            let element: Substring
            if let comma = remaining.utf8.firstIndex(of: UInt8(ascii: ",")) {
                element = remaining[..<comma]
                rest = remaining[remaining.utf8.index(after: comma)...]
            } else {
                element = remaining
                rest = nil
            }
            let trimmed = element.trimmingWhitespace()
            if !trimmed.isEmpty || !omittingEmpty { return trimmed }
        }
        return nil
    }
}
