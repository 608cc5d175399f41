import CourierCore

/// The DNS wire format (RFC 1035 §4) as DNS over HTTPS carries it (RFC 8484): a query for one
/// name and record type, and the addresses in an answer.
///
/// The answer is untrusted input: every length is checked against the message, a compression
/// pointer must point back to an earlier octet (so names cannot loop), and a malformed message is
/// an error, never a crash or a partial answer. Only records for the name asked, or for a name a
/// CNAME chain from it leads to, count (RFC 1034 §4.3.2): a record for another name is not an
/// address of this one.
package enum DNSMessage {
    /// The record types asked for.
    package enum RecordType: UInt16, Sendable {
        case a = 1
        case aaaa = 28

        /// The length of one address of this type.
        var addressLength: Int { self == .a ? 4 : 16 }
    }

    /// What a response says about the query.
    package struct Answer: Equatable, Sendable {
        /// The addresses of the asked type, in textual form, in the order the answer lists them.
        package var addresses: [String]
        /// The smallest TTL among those records, in seconds; nil when there are none.
        package var ttl: UInt32?

        package init(addresses: [String], ttl: UInt32?) {
            self.addresses = addresses
            self.ttl = ttl
        }
    }

    /// Why a response cannot be used.
    package enum Failure: Error, Equatable, Sendable {
        /// The message breaks the wire format: the words say where.
        case malformed(String)
        /// The server answered with this RCODE (RFC 1035 §4.1.1; 3 is "no such name").
        case rcode(UInt8)
    }

    /// Queries are padded to a multiple of this many octets (RFC 8467 §4.1's Block-Length Padding
    /// for queries), so that their length does not tell an observer of the encrypted traffic which
    /// name was asked for.
    package static let paddingBlock = 128

    /// A query for `name`, `type`, class IN, recursion desired, with an ID of 0, as RFC 8484 §4.1
    /// asks so that HTTP caches can share answers; padded with an EDNS(0) Padding option (RFC 7830)
    /// to a multiple of ``paddingBlock``, as RFC 8484 §8.1 advises.
    ///
    /// - Throws: `.malformed` for a name that is no host name in DNS terms (a label empty or
    ///   longer than 63 octets, or the name longer than 253).
    package static func query(for name: String, type: RecordType) throws(Failure) -> [UInt8] {
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        guard !trimmed.isEmpty, trimmed.utf8.count <= 253 else {
            throw .malformed("the name \"\(name)\" is empty or longer than 253 octets")
        }
        // One question and, in the additional section, the OPT record that carries the padding.
        var message: [UInt8] = [0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]
        for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
            let octets = Array(label.utf8)
            guard (1...63).contains(octets.count) else {
                throw .malformed("the name \"\(name)\" has a label that is empty or longer than 63 octets")
            }
            message.append(UInt8(octets.count))
            message += octets
        }
        message += [0, UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        appendPaddedOPT(to: &message)
        return message
    }

    /// An OPT pseudo-record (RFC 6891 §6.1.2: root name, type 41, a 1,232-octet UDP payload size
    /// as DNS Flag Day 2020 settled on, no extended flags) holding one Padding option (code 12)
    /// of as many zero octets as bring the message to a multiple of ``paddingBlock``.
    private static func appendPaddedOPT(to message: inout [UInt8]) {
        let recordHeader = 11
        let optionHeader = 4
        let unpadded = message.count + recordHeader + optionHeader
        let padding = (paddingBlock - unpadded % paddingBlock) % paddingBlock
        let dataLength = optionHeader + padding
        message += [0, 0, 41, UInt8(1232 >> 8), UInt8(1232 & 0xFF), 0, 0, 0, 0]
        message += [UInt8(dataLength >> 8), UInt8(dataLength & 0xFF)]
        message += [0, 12, UInt8(padding >> 8), UInt8(padding & 0xFF)]
        message += [UInt8](repeating: 0, count: padding)
    }

    /// The addresses of `type` for `name` in a response to a query made by ``query(for:type:)``.
    ///
    /// - Throws: `.rcode` for an error response, `.malformed` for a message that breaks the wire
    ///   format or answers another question.
    package static func answer(_ message: [UInt8], for name: String, type: RecordType) throws(Failure) -> Answer {
        var reader = Reader(bytes: message)
        guard message.count >= 12 else { throw .malformed("the message is shorter than its 12-octet header") }
        _ = try reader.uint16()  // the ID: 0, as sent, and one query per request besides
        let header = try reader.uint16()
        guard header & 0x8000 != 0 else { throw .malformed("the message is a query, not a response") }
        guard header & 0x0200 == 0 else { throw .malformed("the response is truncated (TC)") }
        let rcode = UInt8(header & 0x000F)
        guard rcode == 0 else { throw .rcode(rcode) }
        let questions = try reader.uint16()
        let answers = try reader.uint16()
        _ = try reader.uint16()
        _ = try reader.uint16()
        let asked = (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased()
        for _ in 0..<questions {
            let question = try reader.name()
            let questionType = try reader.uint16()
            try reader.skip(2)
            guard question == asked, questionType == type.rawValue else {
                throw .malformed(
                    "the response answers \(question) type \(questionType), not \(asked) type \(type.rawValue)")
            }
        }
        var records: [Record] = []
        for _ in 0..<answers {
            let owner = try reader.name()
            let recordType = try reader.uint16()
            let recordClass = try reader.uint16()
            let ttl = try reader.uint32()
            let length = Int(try reader.uint16())
            let data = try reader.bytes(length)
            guard recordClass == 1 else { continue }
            // RFC 2181 §8: a TTL with its top bit set is read as 0.
            records.append(Record(owner: owner, type: recordType, ttl: ttl & 0x8000_0000 == 0 ? ttl : 0, data: data))
        }
        var result = Answer(addresses: [], ttl: nil)
        // The names that count: the one asked, then each a CNAME leads to (a few hops at most).
        var names: Set<String> = [asked]
        var current = asked
        for _ in 0..<8 {
            guard let alias = records.first(where: { $0.type == 5 && $0.owner == current }) else { break }
            // The slice keeps the message's indices: a name in it may point back into the message.
            var target = Reader(bytes: message, offset: alias.data.startIndex)
            current = try target.name()
            guard names.insert(current).inserted else { break }
            result.ttl = min(result.ttl ?? alias.ttl, alias.ttl)
        }
        for record in records where record.type == type.rawValue && names.contains(record.owner) {
            guard record.data.count == type.addressLength else {
                throw .malformed("a type \(record.type) record holds \(record.data.count) octets")
            }
            result.addresses.append(IPAddressText.format(record.data))
            result.ttl = min(result.ttl ?? record.ttl, record.ttl)
        }
        if result.addresses.isEmpty { result.ttl = nil }
        return result
    }

    /// One resource record of the answer section, class IN.
    private struct Record {
        var owner: String
        var type: UInt16
        var ttl: UInt32
        /// A slice of the message, at the message's own indices.
        var data: ArraySlice<UInt8>
    }

    /// Reads a message front to back, every read checked against its end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func bytes(_ count: Int) throws(Failure) -> ArraySlice<UInt8> {
            guard count <= bytes.count - offset else {
                throw .malformed("the message ends \(count - (bytes.count - offset)) octets early")
            }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func skip(_ count: Int) throws(Failure) {
            _ = try bytes(count)
        }

        mutating func uint16() throws(Failure) -> UInt16 {
            let pair = try bytes(2)
            return UInt16(pair[pair.startIndex]) << 8 | UInt16(pair[pair.startIndex + 1])
        }

        mutating func uint32() throws(Failure) -> UInt32 {
            UInt32(try uint16()) << 16 | UInt32(try uint16())
        }

        /// Reads a name (RFC 1035 §4.1.4), following compression pointers, each of which must point
        /// back before itself, so that no name can loop; lowercased, without the root's dot.
        mutating func name() throws(Failure) -> String {
            var labels: [String] = []
            var position = offset
            var end: Int?
            var octets = 0
            while true {
                guard position < bytes.count else { throw .malformed("a name runs past the end of the message") }
                let length = bytes[position]
                switch length >> 6 {
                case 0b00 where length == 0:
                    offset = end ?? position + 1
                    return labels.joined(separator: ".")
                case 0b00:
                    octets += Int(length) + 1
                    guard octets <= 255 else { throw .malformed("a name is longer than 255 octets") }
                    guard position + 1 + Int(length) <= bytes.count else {
                        throw .malformed("a name runs past the end of the message")
                    }
                    labels.append(
                        String(decoding: bytes[(position + 1)...(position + Int(length))], as: UTF8.self).lowercased())
                    position += 1 + Int(length)
                case 0b11:
                    guard position + 1 < bytes.count else {
                        throw .malformed("a name runs past the end of the message")
                    }
                    let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                    guard target < position else { throw .malformed("a compression pointer does not point back") }
                    end = end ?? position + 2
                    position = target
                default:
                    throw .malformed("a name has a label of the reserved kind \(length >> 6)")
                }
            }
        }
    }
}
