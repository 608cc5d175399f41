/// One element of a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1): an extension's name and
/// its parameters, in the order written.
struct WebSocketExtension: Hashable, Sendable {
    struct Parameter: Hashable, Sendable {
        var name: String
        /// The value, unquoted and unescaped; nil for a parameter without `=`.
        var value: String?
    }

    var name: String
    var parameters: [Parameter]

    /// The elements of a header value, or nil if it does not follow the grammar:
    /// `extension *("," extension)`, `extension = token *(";" token ["=" (token / quoted-string)])`,
    /// with optional whitespace around the separators. Empty list elements are skipped
    /// (RFC 9110 §5.6.1); names are case-sensitive, as RFC 6455 registers them.
    static func parseList(_ value: String) -> [WebSocketExtension]? {
        var scanner = Scanner(Array(value.utf8))
        var list: [WebSocketExtension] = []
        while true {
            scanner.skipWhitespace()
            if scanner.consume(UInt8(ascii: ",")) { continue }
            if scanner.atEnd { return list }
            guard let name = scanner.token() else { return nil }
            var parameters: [Parameter] = []
            scanner.skipWhitespace()
            while scanner.consume(UInt8(ascii: ";")) {
                scanner.skipWhitespace()
                guard let parameter = scanner.token() else { return nil }
                scanner.skipWhitespace()
                var value: String?
                if scanner.consume(UInt8(ascii: "=")) {
                    scanner.skipWhitespace()
                    guard let token = scanner.token() ?? scanner.quotedString() else { return nil }
                    value = token
                    scanner.skipWhitespace()
                }
                parameters.append(Parameter(name: parameter, value: value))
            }
            list.append(WebSocketExtension(name: name, parameters: parameters))
            guard scanner.atEnd || scanner.consume(UInt8(ascii: ",")) else { return nil }
        }
    }
}

/// A cursor over the octets of a header value.
private struct Scanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { index == bytes.count }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
    }

    /// A token (RFC 9110 §5.6.2), or nil if none starts here.
    mutating func token() -> String? {
        let start = index
        while index < bytes.count, Scanner.isTokenCharacter(bytes[index]) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    /// A quoted string (RFC 9110 §5.6.4) with its escapes resolved, or nil if none starts here
    /// or it does not end.
    mutating func quotedString() -> String? {
        let start = index
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\\") where index < bytes.count:
                value.append(bytes[index])
                index += 1
            default:
                value.append(byte)
            }
        }
        index = start
        return nil
    }

    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
