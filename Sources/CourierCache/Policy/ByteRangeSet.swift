/// The byte ranges a `Range` field asks for (RFC 9110 §14.1.1), before they meet a body:
/// `first-last`, `first-` and the suffix `-length`, in the order written.
///
/// Parsing is strict the way a server's must be to ignore what it does not understand: another
/// range unit, a `last` before its `first`, a number that is not all digits or a missing `=`
/// gives nil, and a nil range set means "serve the whole response" (§14.2 lets a server ignore
/// such a field, and only a valid one can be evaluated).
package struct ByteRangeSet: Sendable, Equatable {
    package enum Spec: Sendable, Equatable {
        /// `first-` (`last` nil) or `first-last`, both inclusive.
        case from(first: Int, last: Int?)
        /// `-length`: the last `length` bytes.
        case suffix(length: Int)
    }

    package let specs: [Spec]

    /// The byte ranges of a `Range` field value, or nil when it is not a valid `bytes` range set.
    package init?(_ value: String) {
        guard let equals = value.firstIndex(of: "="),
            value[..<equals].lowercased() == "bytes"
        else { return nil }
        var specs: [Spec] = []
        // A list (RFC 9110 §5.6.1): elements separated by commas with optional whitespace, empty
        // elements ignored, at least one present.
        for element in value[value.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = element.trimmingCharacters(in: " \t")
            if trimmed.isEmpty { continue }
            guard let spec = ByteRangeSet.spec(trimmed) else { return nil }
            specs.append(spec)
        }
        guard !specs.isEmpty else { return nil }
        self.specs = specs
    }

    /// The ranges of a body of `length` bytes these specs select, sorted, with those that overlap
    /// or touch merged into one (§14.2 allows a server to coalesce them); empty when none is
    /// satisfiable (§14.1.1: a `first` at or past the end, or a suffix of 0 or of an empty body).
    package func satisfiable(in length: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        for spec in specs {
            switch spec {
            case .from(let first, let last):
                guard first < length else { continue }
                let end = last.map { min($0, length - 1) + 1 } ?? length
                ranges.append(first..<end)
            case .suffix(let suffix):
                guard suffix > 0, length > 0 else { continue }
                ranges.append(max(0, length - suffix)..<length)
            }
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for range in ranges {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    /// One `int-range` or `suffix-range`; nil for anything else (an `other-range` of another unit
    /// cannot appear after `bytes=`).
    private static func spec(_ text: String) -> Spec? {
        guard let dash = text.firstIndex(of: "-") else { return nil }
        let firstText = text[..<dash]
        let lastText = text[text.index(after: dash)...]
        if firstText.isEmpty {
            guard let length = number(lastText) else { return nil }
            return .suffix(length: length)
        }
        guard let first = number(firstText) else { return nil }
        if lastText.isEmpty { return .from(first: first, last: nil) }
        guard let last = number(lastText), last >= first else { return nil }
        return .from(first: first, last: last)
    }

    /// A `1*DIGIT`; values past `Int.max` are clamped, as a position past any body's end means
    /// the same as a very large one.
    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text) ?? Int.max
    }
}
