/// An `application/x-www-form-urlencoded` body: the fields of an HTML form.
///
/// ```swift
/// let request = HTTPRequest(method: .post, url: url, body: .form(["q": "swift & linux", "page": "2"]))
/// ```
public struct FormBody: Hashable, Sendable {
    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var fields: [Field]

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { Field(name: $0.0, value: $0.1) }
    }

    /// The fields encoded as the WHATWG URL standard's urlencoded serializer does: UTF-8,
    /// `*-._`, letters and digits kept, space as `+`, everything else `%XX`.
    public var encoded: String {
        fields.map { FormBody.escape($0.name) + "=" + FormBody.escape($0.value) }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension FormBody: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HTTPRequest.Body {
    /// A form, `application/x-www-form-urlencoded`.
    public static func form(_ form: FormBody) -> HTTPRequest.Body {
        .bytes(Array(form.encoded.utf8), contentType: "application/x-www-form-urlencoded")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
