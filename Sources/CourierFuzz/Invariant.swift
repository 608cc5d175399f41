/// Stops the process when an invariant of the code under test does not hold.
///
/// A trap is what libFuzzer counts as a crash, so an invariant violation is saved and minimised
/// like any crash; the message says which property broke, which a bare trap would not.
func require(
    _ condition: @autoclosure () -> Bool,
    _ message: @autoclosure () -> String,
    file: StaticString = #fileID,
    line: UInt = #line
) {
    guard condition() else {
        fatalError("Invariant violated: \(message())", file: file, line: line)
    }
}

/// Text for an invariant message: the first bytes, escaped, so a report shows what went wrong
/// without dumping a whole input.
func escaped(_ bytes: some Sequence<UInt8>, limit: Int = 120) -> String {
    var text = ""
    var count = 0
    for byte in bytes {
        if count == limit {
            text += "…"
            break
        }
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x09: text += "\\t"
        case 0x5C: text += "\\\\"
        case 0x22: text += "\\\""
        case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
        default: text += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
        }
        count += 1
    }
    return "\"" + text + "\""
}
