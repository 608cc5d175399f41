import CourierCore

@testable import CourierHTTP2

/// Bytes from hex digits; spaces and line breaks between them are ignored.
func bytes(hex: String) -> [UInt8] {
    let digits = hex.utf8.filter { $0 != 0x20 && $0 != 0x0A }.map {
        UInt8(ascii: "0") <= $0 && $0 <= UInt8(ascii: "9") ? $0 - 48 : ($0 | 0x20) - 87
    }
    return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

extension HPACKDecoder {
    mutating func decode(_ block: [UInt8]) throws(HPACKError) -> HTTPHeaders {
        try block.withUnsafeBufferPointer { bytes throws(HPACKError) in try decode(UnsafeRawBufferPointer(bytes)) }
    }

    /// The error decoding `block` throws, or nil.
    mutating func error(decoding block: [UInt8]) -> HPACKError? {
        do {
            _ = try decode(block)
            return nil
        } catch {
            return error
        }
    }
}

extension HPACKEncoder {
    mutating func encode(_ headers: HTTPHeaders) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(headers, into: &buffer)
        return buffer
    }
}

extension HPACKDynamicTable {
    /// Every entry, newest first, as name and value.
    var entries: [[String]] { count == 0 ? [] : (1...count).map { [self[$0].name, self[$0].value] } }
}
