package import CourierCore

/// Writes HTTP/1.1 message heads and chunk framing, for both roles.
///
/// Header names and values are checked while they are copied, so an interceptor cannot slip a
/// CR or LF onto the wire (request splitting) however the request was built.
package enum HTTP1Serializer {
    /// "METHOD target HTTP/1.1", the fields, and the blank line.
    package static func requestHead(
        method: HTTPMethod, target: String, headers: HTTPHeaders
    ) throws(HTTPClientError) -> ByteBuffer {
        try method.validate()
        guard target.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw HTTPClientError(
                .invalidRequest, "Request target \(target.debugDescription) contains whitespace or a control character."
            )
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.rawValue.utf8.count + target.utf8.count + 11 + fieldsSize(headers))
        bytes.append(contentsOf: method.rawValue.utf8)
        bytes.append(0x20)
        bytes.append(contentsOf: target.utf8)
        bytes.append(contentsOf: " HTTP/1.1\r\n".utf8)
        try appendFields(headers, to: &bytes)
        return ByteBuffer(bytes)
    }

    /// "HTTP/1.1 code reason", the fields, and the blank line.
    package static func responseHead(status: HTTPStatus, headers: HTTPHeaders) throws(HTTPClientError) -> ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32 + status.reasonPhrase.utf8.count + fieldsSize(headers))
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        bytes.append(contentsOf: String(status.code).utf8)
        bytes.append(0x20)
        bytes.append(contentsOf: status.reasonPhrase.utf8)
        bytes.append(contentsOf: "\r\n".utf8)
        try appendFields(headers, to: &bytes)
        return ByteBuffer(bytes)
    }

    /// The bytes `appendFields` writes, so a head is built in one allocation.
    private static func fieldsSize(_ headers: HTTPHeaders) -> Int {
        headers.fields.reduce(2) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
    }

    private static func appendFields(_ headers: HTTPHeaders, to bytes: inout [UInt8]) throws(HTTPClientError) {
        for field in headers.fields {
            try HTTPHeaders.validate(name: field.name)
            try HTTPHeaders.validate(value: field.value, name: field.name)
            bytes.append(contentsOf: field.name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: field.value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        bytes.append(contentsOf: "\r\n".utf8)
    }

    /// The size line that goes before a chunk of `count` bytes.
    package static func chunkHeader(count: Int) -> ByteBuffer {
        ByteBuffer(Array((String(count, radix: 16) + "\r\n").utf8))
    }

    /// The CRLF that ends a chunk's data.
    package static let chunkEnd = ByteBuffer(Array("\r\n".utf8))

    /// The last chunk with no trailers.
    package static let lastChunk = ByteBuffer(Array("0\r\n\r\n".utf8))
}
