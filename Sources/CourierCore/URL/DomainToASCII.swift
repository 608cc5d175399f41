@_spi(_Unicode) import Swift

/// UTS #46 "ToASCII" as the URL Standard calls it (non-transitional, no STD3 rules, no hyphen
/// or DNS-length checks): a Unicode domain becomes the `xn--` labels DNS, the `Host` header and
/// a certificate check all expect.
///
/// The mapping step is a subset of UTS #46's table: ASCII and Unicode lower-casing, full-width
/// forms and the ideographic full stops, and the code points the table maps to nothing. Scalars
/// that are unassigned, private-use, control or format characters, separators or noncharacters
/// are refused, as the table refuses them.
/// The result is NFC-normalised. Not applied: the bidi rule (RFC 5893) and the joining-type
/// half of CheckJoiners, for which the standard library has no character data.
/// `Docs/Conformance.md` (URLs) lists where this parts from the full algorithm.
package enum DomainToASCII {
    /// The ASCII form of `domain`, lower case; nil when UTS #46 refuses it.
    package static func convert(_ domain: String) -> String? {
        // The URL Standard takes an ASCII name as it is, lower-cased, even an `xn--` label that
        // is no valid Punycode (`xn--a`, `xn--`): only a name with something to map is checked.
        if domain.utf8.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: domain.utf8.map(HTTPSyntax.lowercased), as: UTF8.self)
        }
        var mapped = String.UnicodeScalarView()
        for scalar in domain.unicodeScalars {
            guard let replacement = map(scalar) else { return nil }
            mapped.append(contentsOf: replacement)
        }
        // NFC through the standard library's own normaliser (the one Foundation's
        // `precomposedStringWithCanonicalMapping` uses; FoundationEssentials has no NFC).
        let normalized = String(decoding: String(mapped)._nfcCodeUnits, as: UTF8.self)
        var output: [String] = []
        for label in labels(of: normalized) {
            if label.allSatisfy(\.isASCII) {
                let text = String(String.UnicodeScalarView(label))
                guard checked(text[...]) else { return nil }
                output.append(text)
            } else {
                guard !label.starts(with: "xn--".unicodeScalars), !startsWithMark(label), joinersAllowed(in: label),
                    let encoded = Punycode.encode(label)
                else { return nil }
                output.append("xn--" + encoded)
            }
        }
        return output.joined(separator: ".")
    }

    /// The labels of `domain`, split at each full stop scalar: a `.` followed by a combining
    /// mark is one Character, and a split of the String would keep the two labels together.
    private static func labels(of domain: String) -> [[Unicode.Scalar]] {
        var labels: [[Unicode.Scalar]] = [[]]
        for scalar in domain.unicodeScalars {
            if scalar == "." { labels.append([]) } else { labels[labels.count - 1].append(scalar) }
        }
        return labels
    }

    /// UTS #46's validity criteria: a label must not begin with a combining mark.
    private static func startsWithMark(_ label: [Unicode.Scalar]) -> Bool {
        switch label.first?.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// An ASCII label is fine unless it claims to be Punycode (`xn--`) and is not: it must decode
    /// to something non-ASCII that the mapping would have let through unchanged.
    private static func checked(_ label: Substring) -> Bool {
        guard label.utf8.count >= 4, label.utf8.prefix(4).elementsEqual("xn--".utf8) else { return true }
        guard let decoded = Punycode.decode(label.dropFirst(4)), decoded.contains(where: { !$0.isASCII }) else {
            return false
        }
        let text = String(String.UnicodeScalarView(decoded))
        return decoded.allSatisfy { $0 != "." && map($0) == [$0] } && !startsWithMark(decoded)
            && joinersAllowed(in: decoded) && text._nfcCodeUnits.elementsEqual(text.utf8)
    }

    /// What UTS #46's mapping makes of one scalar: nil when it is disallowed.
    private static func map(_ scalar: Unicode.Scalar) -> [Unicode.Scalar]? {
        switch scalar.value {
        case 0x41...0x5A:
            return [Unicode.Scalar(scalar.value | 0x20)!]
        case 0x00...0x7F:
            return [scalar]
        case 0x3002, 0xFF0E, 0xFF61:
            return ["."]
        case 0xFF01...0xFF5E:
            return map(Unicode.Scalar(scalar.value - 0xFF01 + 0x21)!)
        case 0x00AD, 0x034F, 0x115F...0x1160, 0x17B4...0x17B5, 0x180B...0x180F, 0x200B, 0x2060...0x2064,
            0x206A...0x206F, 0x3164, 0xFE00...0xFE0F, 0xFEFF, 0xFFA0, 0x1BCA0...0x1BCA3, 0x1D173...0x1D17A,
            0xE0100...0xE01EF:
            return []
        case 0x200C, 0x200D:
            return [scalar]
        case 0x13A0...0x13F5:
            // Cherokee case-folds to its capital letters (Unicode 8 added the small ones):
            // UTS #46 keeps the capitals and maps the small letters to them.
            return [scalar]
        case 0x13F8...0x13FD:
            return [Unicode.Scalar(scalar.value - 8)!]
        case 0xAB70...0xABBF:
            return [Unicode.Scalar(scalar.value - 0xAB70 + 0x13A0)!]
        default:
            guard isValid(scalar) else { return nil }
            // Lower-casing only what changes keeps a composed character composed (the
            // mapping of `≠` is `=` and a combining stroke).
            guard scalar.properties.changesWhenLowercased else { return [scalar] }
            return Array(scalar.properties.lowercaseMapping.unicodeScalars)
        }
    }

    /// Not refused by the table: assigned, no private use, control or format character (those
    /// the table ignores are mapped before), no separator, no noncharacter, no U+FFFD.
    private static func isValid(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .unassigned, .privateUse, .surrogate, .control, .format, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default:
            return !scalar.properties.isNoncharacterCodePoint && scalar != "\u{FFFD}"
        }
    }

    /// UTS #46's CheckJoiners, in part: a zero-width joiner or non-joiner only after a virama.
    private static func joinersAllowed(in label: [Unicode.Scalar]) -> Bool {
        var previous: Unicode.Scalar?
        for scalar in label {
            if scalar == "\u{200C}" || scalar == "\u{200D}" {
                guard previous?.properties.canonicalCombiningClass == .virama else { return false }
            }
            previous = scalar
        }
        return true
    }
}
