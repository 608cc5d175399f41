package import CourierCore

/// The directives of the `Cache-Control` fields of a request or a response (RFC 9111 §5.2).
///
/// Parsed once per message; every rule of the cache reads these values instead of the raw
/// fields. Names are case-insensitive, arguments may be tokens or quoted strings, and several
/// fields combine as one list. A directive given twice keeps its first value, except `no-cache`,
/// where every occurrence counts (an unqualified one wins over the field names of a qualified
/// one, and qualified ones add up), the stricter reading of a repeated directive. A delta-seconds
/// argument that is not a number makes the directive count as 0 (the conservative reading
/// RFC 9111 §4.2.1 encourages: such a response is stale).
package struct CacheControl: Sendable, Equatable {
    /// The greatest delta-seconds the cache represents; larger values count as this (§1.2.2).
    package static let maximumDelta = 2_147_483_648

    package var noStore = false
    /// `no-cache` without field names: every use of the response is validated first.
    package var noCache = false
    /// The field names of a qualified `no-cache="…"` (lowercased): the response may be used
    /// without validation, but without these fields (RFC 9111 §5.2.2.4).
    package var noCacheFields: [String] = []
    package var maxAge: Int?
    package var sMaxAge: Int?
    /// `max-stale` without a value accepts any staleness: `maximumDelta`.
    package var maxStale: Int?
    package var minFresh: Int?
    package var onlyIfCached = false
    package var isPublic = false
    package var isPrivate = false
    package var mustRevalidate = false
    package var mustUnderstand = false
    package var immutable = false
    package var staleWhileRevalidate: Int?
    package var staleIfError: Int?

    package init() {}

    /// The directives of every `Cache-Control` field of `headers`.
    package init(_ headers: HTTPHeaders) {
        var seen: Set<String> = []
        for value in headers.values(for: "Cache-Control") {
            for (name, argument) in CacheControl.directives(in: value)
            where name == "no-cache" || seen.insert(name).inserted {
                apply(name, argument)
            }
        }
    }

    private mutating func apply(_ name: String, _ argument: String?) {
        switch name {
        case "no-store": noStore = true
        case "no-cache":
            let fields = (argument ?? "").split(separator: ",").map { $0.trimmingCharacters(in: " \t").lowercased() }
                .filter { !$0.isEmpty }
            if fields.isEmpty { noCache = true } else { noCacheFields += fields }
        case "max-age": maxAge = CacheControl.delta(argument)
        case "s-maxage": sMaxAge = CacheControl.delta(argument)
        case "max-stale": maxStale = argument == nil ? CacheControl.maximumDelta : CacheControl.delta(argument)
        case "min-fresh": minFresh = CacheControl.delta(argument)
        case "only-if-cached": onlyIfCached = true
        case "public": isPublic = true
        case "private": isPrivate = true
        case "must-revalidate": mustRevalidate = true
        case "must-understand": mustUnderstand = true
        case "immutable": immutable = true
        case "stale-while-revalidate": staleWhileRevalidate = CacheControl.delta(argument)
        case "stale-if-error": staleIfError = CacheControl.delta(argument)
        default: break
        }
    }

    /// delta-seconds = 1*DIGIT; anything else is 0, and overflow is `maximumDelta`.
    private static func delta(_ argument: String?) -> Int {
        guard let argument, !argument.isEmpty, argument.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return 0
        }
        let significant = argument.drop { $0 == "0" }
        guard significant.utf8.count <= 10, let value = Int(significant.isEmpty ? "0" : significant) else {
            return maximumDelta
        }
        return min(value, maximumDelta)
    }

    /// The `name[=argument]` pairs of one field value, names lowercased, quoted arguments
    /// unquoted. Commas inside a quoted string (`no-cache="a, b"`) do not split the list.
    package static func directives(in value: String) -> [(String, String?)] {
        var result: [(String, String?)] = []
        var bytes = value.utf8[...]
        while !bytes.isEmpty {
            bytes = bytes.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: ",") }
            let name = bytes.prefix { $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: ",") }
            bytes = bytes[name.endIndex...]
            var argument: String?
            if bytes.first == UInt8(ascii: "=") {
                bytes = bytes.dropFirst()
                if bytes.first == UInt8(ascii: "\"") {
                    var unquoted: [UInt8] = []
                    bytes = bytes.dropFirst()
                    while let byte = bytes.first, byte != UInt8(ascii: "\"") {
                        bytes = bytes.dropFirst()
                        if byte == UInt8(ascii: "\\"), let escaped = bytes.first {
                            unquoted.append(escaped)
                            bytes = bytes.dropFirst()
                        } else {
                            unquoted.append(byte)
                        }
                    }
                    bytes = bytes.dropFirst()
                    bytes = bytes.drop { $0 != UInt8(ascii: ",") }
                    argument = String(decoding: unquoted, as: UTF8.self)
                } else {
                    let token = bytes.prefix { $0 != UInt8(ascii: ",") }
                    bytes = bytes[token.endIndex...]
                    argument = trimmed(token)
                }
            }
            let directive = trimmed(name).lowercased()
            if !directive.isEmpty { result.append((directive, argument)) }
        }
        return result
    }

    private static func trimmed(_ bytes: Substring.UTF8View) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(Substring(bytes[start...end]))
    }
}
