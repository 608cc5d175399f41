package import CourierCore

/// Why a header block did not decode (RFC 7541).
///
/// Every case is a connection error of type COMPRESSION_ERROR (RFC 9113 §4.3): once a block fails
/// part-way, the decoder's dynamic table no longer matches the peer's encoder, so no later block
/// on the connection can be trusted. The frame layer answers with GOAWAY carrying ``errorCode``.
package enum HPACKError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The block ends inside a representation (an integer, a string or a literal's value).
    case truncated
    /// An integer does not fit in 32 bits, or is encoded with more continuation bytes than a
    /// 32-bit value needs (RFC 7541 §5.1 lets a decoder set this limit).
    case integerOverflow
    /// A string literal declares more octets than a whole header list may hold.
    case stringTooLong(length: Int, limit: Int)
    /// An index is 0 or beyond the static and dynamic tables (RFC 7541 §2.3.3).
    case indexOutOfRange(index: Int, tableCount: Int)
    /// A Huffman-coded string contains the EOS symbol (RFC 7541 §5.2).
    case huffmanEOS
    /// A Huffman-coded string ends in padding that is longer than 7 bits or not all ones.
    case invalidHuffmanPadding
    /// A dynamic table size update exceeds the size our SETTINGS allow (RFC 7541 §6.3).
    case sizeUpdateTooLarge(size: Int, limit: Int)
    /// A dynamic table size update comes after a field representation (RFC 7541 §4.2).
    case sizeUpdateNotAtStart
    /// Our SETTINGS lowered the table size, and the next block did not begin with an update to at
    /// most that size (RFC 7541 §4.2).
    case sizeUpdateMissing(required: Int)
    /// The decoded fields exceed the header list limit, counted as RFC 9113 §6.5.2 does
    /// (name + value + 32 octets per field). Raised before the field that crosses it is built.
    case headerListTooLarge(limit: Int)

    /// The HTTP/2 error code for every HPACK failure: COMPRESSION_ERROR (RFC 9113 §7).
    package var errorCode: UInt32 { 0x9 }

    package var description: String {
        switch self {
        case .truncated: "the header block ends inside a field representation"
        case .integerOverflow: "an integer is larger than 2^32 - 1"
        case .stringTooLong(let length, let limit):
            "a string literal of \(length) octets is longer than the header list limit of \(limit)"
        case .indexOutOfRange(let index, let tableCount):
            "index \(index) is outside the header tables (1...\(tableCount))"
        case .huffmanEOS: "a Huffman-coded string contains the EOS symbol"
        case .invalidHuffmanPadding: "a Huffman-coded string ends in invalid padding"
        case .sizeUpdateTooLarge(let size, let limit):
            "a dynamic table size update to \(size) exceeds the allowed \(limit)"
        case .sizeUpdateNotAtStart: "a dynamic table size update follows a header field"
        case .sizeUpdateMissing(let required):
            "the block does not begin with the required dynamic table size update to at most \(required)"
        case .headerListTooLarge(let limit): "the header list is larger than \(limit) octets"
        }
    }

    /// The error a call fails with. An oversized list is `.headersTooLarge`, as on HTTP/1.1;
    /// everything else is `.headerCompression`.
    package var clientError: HTTPClientError {
        switch self {
        case .headerListTooLarge:
            HTTPClientError.protocolViolation(
                .headersTooLarge, "The peer sent an HTTP/2 header block that is too large: \(self).")
        case .truncated, .integerOverflow, .stringTooLong, .indexOutOfRange, .huffmanEOS, .invalidHuffmanPadding,
            .sizeUpdateTooLarge, .sizeUpdateNotAtStart, .sizeUpdateMissing:
            HTTPClientError.protocolViolation(
                .headerCompression, "The peer sent an HTTP/2 header block that does not decode (HPACK): \(self).")
        }
    }
}
