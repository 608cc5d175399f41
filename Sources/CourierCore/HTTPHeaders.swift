/// An ordered, multi-valued list of header fields with case-insensitive names.
///
/// Order and repeated fields are preserved exactly as added or received, because some fields
/// (`Set-Cookie`) cannot be combined and some servers care about order.
///
/// ```swift
/// var headers: HTTPHeaders = ["Accept": "text/plain"]
/// headers["accept"] = "application/json"   // replaces every Accept field
/// headers.add("X-Trace", "1")               // appends another field
/// headers.values(for: "x-trace")            // ["1"]
/// ```
///
/// Names and values are checked when a request is sent (see ``validate()``), not when they are
/// set, so that building headers never throws.
public struct HTTPHeaders: Sendable, Hashable {
    /// One header field as it appears on the wire.
    public struct Field: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init() {
        fields = []
    }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { Field(name: $0.0, value: $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// The field values for `name`, combined with ", " as RFC 9110 §5.3 allows, or nil if absent.
    ///
    /// Setting replaces every field with that name by a single one; setting nil removes them.
    /// Use ``values(for:)`` for fields that must not be combined, such as `Set-Cookie`.
    public subscript(name: String) -> String? {
        get {
            var result: String?
            for field in fields where field.name.equalsIgnoringASCIICase(name) {
                if let existing = result {
                    result = existing + ", " + field.value
                } else {
                    result = field.value
                }
            }
            return result
        }
        set {
            if let index = fields.firstIndex(where: { $0.name.equalsIgnoringASCIICase(name) }) {
                if let newValue {
                    fields[index].value = newValue
                    let tail = fields.index(after: index)
                    fields[tail...].removeAll { $0.name.equalsIgnoringASCIICase(name) }
                    return
                }
            }
            remove(name)
            if let newValue { fields.append(Field(name: name, value: newValue)) }
        }
    }

    /// Every value of the fields named `name`, in order.
    public func values(for name: String) -> [String] {
        fields.lazy.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    /// Whether the comma-separated lists of the fields named `name` contain `token`, compared
    /// case-insensitively (`Connection: keep-alive, Close` contains `close`). Allocates nothing.
    package func containsToken(_ token: String, in name: String) -> Bool {
        fields.contains { field in
            field.name.equalsIgnoringASCIICase(name)
                && ListElements(field.value).contains { $0.equalsIgnoringASCIICase(token) }
        }
    }

    /// Whether a field named `name` is present.
    public func contains(_ name: String) -> Bool {
        fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Makes room for `count` fields in all, so that adding them one by one does not regrow the storage.
    package mutating func reserveCapacity(_ count: Int) {
        fields.reserveCapacity(count)
    }

    /// Appends a field, keeping any existing fields with the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Removes the first field, which must exist: HTTP/2's `:status`, once checked.
    package mutating func removeFirst() {
        fields.removeFirst()
    }

    /// Removes every field named `name`. Headers without one are left alone: `removeAll` would
    /// first copy fields shared with another value (a request's copy), and retain every string.
    public mutating func remove(_ name: String) {
        guard contains(name) else { return }
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Checks that every name is an RFC 9110 token and that no value contains a control
    /// character other than horizontal tab.
    ///
    /// CR and LF in a value would let a caller inject headers or a second request
    /// (request splitting); NUL truncates values in many servers.
    public func validate() throws(HTTPClientError) {
        for field in fields {
            try HTTPHeaders.validate(name: field.name)
            try HTTPHeaders.validate(value: field.value, name: field.name)
        }
    }

    package static func validate(name: String) throws(HTTPClientError) {
        if name.isEmpty {
            throw HTTPClientError(.invalidRequest, "Header name is empty.")
        }
        for byte in name.utf8 where !HTTPSyntax.isTokenCharacter(byte) {
            throw HTTPClientError(
                .invalidRequest,
                "Header name \(name.debugDescription) contains \(HTTPSyntax.describe(byte)), which is not allowed in a token."
            )
        }
    }

    package static func validate(value: String, name: String) throws(HTTPClientError) {
        for byte in value.utf8 where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            throw HTTPClientError(
                .invalidRequest,
                "Value of header \(name.debugDescription) contains \(HTTPSyntax.describe(byte)); CR, LF, NUL and other control characters are not allowed."
            )
        }
    }
}

extension HTTPHeaders: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }
}

extension HTTPHeaders: RandomAccessCollection {
    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> Field { fields[position] }
}

extension HTTPHeaders: CustomStringConvertible {
    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}

extension StringProtocol {
    /// ASCII case-insensitive comparison without allocating lowercased copies.
    ///
    /// Inlinable so callers in other modules get it specialized: unspecialized, each call looked
    /// up generic metadata at run time, which showed up in profiles of the framing checks.
    @inlinable
    package func equalsIgnoringASCIICase(_ other: some StringProtocol) -> Bool {
        let lhs = utf8
        let rhs = other.utf8
        guard lhs.count == rhs.count else { return false }
        // Native strings (all of them on Linux) are contiguous UTF-8: compare the buffers.
        let contiguous = lhs.withContiguousStorageIfAvailable { a in
            rhs.withContiguousStorageIfAvailable { b in a.equalsIgnoringASCIICase(b) }
        }
        if let contiguous = contiguous ?? nil { return contiguous }
        return Array(lhs).withUnsafeBufferPointer { a in
            Array(rhs).withUnsafeBufferPointer { b in a.equalsIgnoringASCIICase(b) }
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether `other`, of the same length, differs at most in the case of ASCII letters.
    @usableFromInline
    package func equalsIgnoringASCIICase(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        for index in indices where self[index] != other[index] {
            guard HTTPSyntax.lowercased(self[index]) == HTTPSyntax.lowercased(other[index]) else { return false }
        }
        return true
    }
}
