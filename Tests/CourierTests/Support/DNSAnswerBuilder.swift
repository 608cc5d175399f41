import Courier
import CourierCore
import CourierTestServer
import FoundationEssentials

/// A DNS response as a DoH server sends it (RFC 1035 §4.1), for tests: the question echoed, then
/// each record with its owner written as a pointer to the question's name, or as given.
struct DNSAnswerBuilder {
    struct Record {
        var type: UInt16
        var ttl: UInt32
        var data: [UInt8]
        /// The owner name as written; nil for a pointer to the question's name.
        var owner: [UInt8]? = nil
    }

    var name: String
    var type: UInt16
    var records: [Record]
    var rcode: UInt8 = 0

    var bytes: [UInt8] {
        var message: [UInt8] = [0, 0, 0x81, 0x80 | rcode, 0, 1, 0, UInt8(records.count), 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            message.append(UInt8(label.utf8.count))
            message += Array(label.utf8)
        }
        message += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        for record in records {
            message += (record.owner ?? [0xC0, 12]) + [UInt8(record.type >> 8), UInt8(record.type & 0xFF), 0, 1]
            message += (0..<4).map { UInt8(truncatingIfNeeded: record.ttl >> (24 - 8 * $0)) }
            message += [UInt8(record.data.count >> 8), UInt8(record.data.count & 0xFF)] + record.data
        }
        return message
    }
}

/// The question of a DoH request as the test server received it: from the `dns` parameter of a
/// GET (base64url) or the body of a POST.
struct DNSQuestion {
    var name: String
    var type: UInt16

    init?(_ request: RecordedRequest) {
        let message: [UInt8]
        if request.method == .post {
            message = request.body
        } else {
            guard let encoded = request.target.split(separator: "dns=").last else { return nil }
            var base64 = String(encoded).replacing("-", with: "+").replacing("_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64) else { return nil }
            message = Array(data)
        }
        var offset = 12
        var labels: [String] = []
        while offset < message.count, message[offset] != 0 {
            let length = Int(message[offset])
            guard offset + 1 + length <= message.count else { return nil }
            labels.append(String(decoding: message[(offset + 1)..<(offset + 1 + length)], as: UTF8.self))
            offset += 1 + length
        }
        guard offset + 3 <= message.count - 1 else { return nil }
        name = labels.joined(separator: ".")
        type = UInt16(message[offset + 1]) << 8 | UInt16(message[offset + 2])
    }
}

/// The octets of a textual IPv4 or IPv6 address, for building answers.
enum IPv4OrIPv6 {
    static func octets(_ address: String) -> [UInt8] {
        if !address.contains(":") { return address.split(separator: ".").compactMap { UInt8($0) } }
        let halves = address.split(separator: "::", omittingEmptySubsequences: false)
        let head = halves[0].split(separator: ":").map { UInt16($0, radix: 16)! }
        let tail = halves.count > 1 ? halves[1].split(separator: ":").map { UInt16($0, radix: 16)! } : []
        let groups = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        return groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
