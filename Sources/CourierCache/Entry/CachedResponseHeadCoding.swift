import CourierCore
import FoundationEssentials

/// The binary form of a ``CachedResponseHead``: the entry's metadata on disk.
///
/// A magic and a version byte first, then length-prefixed fields in a fixed order, ending exactly
/// where the bytes end. The decoder checks every length against what is left and every count
/// against a bound, so a truncated, corrupt or foreign blob throws and the cache treats the entry
/// as a miss; it never traps and never allocates more than the blob could hold.
///
/// Version 1:
/// ```
/// "CCHM" 0x01
/// string url, string method, u16 status, string reason, u8 version (0 = 1.0, 1 = 1.1, 2 = 2)
/// i64 requestTime ms, i64 responseTime ms (years 1601–9999)
/// fields headers, fields varyingRequestHeaders
/// u8 hasTLS [u8 tlsVersion, string cipher, u8 hasALPN [string alpn], u32 count, count × bytes der]
/// string   = u32 length, UTF-8
/// fields   = u32 count, count × (string name, string value)
/// ```
package enum CachedResponseHeadCoding {
    package struct Malformed: Error, Equatable {
        package let reason: String
    }

    private static let magic: [UInt8] = Array("CCHM".utf8)
    private static let version: UInt8 = 1

    package static func encode(_ head: CachedResponseHead) -> [UInt8] {
        var writer = Writer()
        writer.bytes.append(contentsOf: magic)
        writer.u8(version)
        writer.string(head.url)
        writer.string(head.method.rawValue)
        writer.u16(UInt16(clamping: head.status.code))
        writer.string(head.status.reasonPhrase)
        let versionCode: UInt8 =
            switch head.version {
            case .http1_0: 0
            case .http1_1: 1
            case .http2: 2
            }
        writer.u8(versionCode)
        writer.i64(milliseconds(head.requestTime))
        writer.i64(milliseconds(head.responseTime))
        writer.fields(head.headers)
        writer.fields(head.varyingRequestHeaders)
        if let tls = head.tlsHandshake {
            writer.u8(1)
            writer.u8(tls.version == .tls1_3 ? 3 : 2)
            writer.string(tls.cipherSuite)
            if let alpn = tls.applicationProtocol {
                writer.u8(1)
                writer.string(alpn)
            } else {
                writer.u8(0)
            }
            writer.u32(UInt32(tls.peerCertificates.count))
            for certificate in tls.peerCertificates { writer.data(certificate.der) }
        } else {
            writer.u8(0)
        }
        return writer.bytes
    }

    package static func decode(_ bytes: [UInt8]) throws(Malformed) -> CachedResponseHead {
        var reader = Reader(bytes: bytes)
        guard try reader.take(magic.count) == magic[...] else { throw Malformed(reason: "not cache metadata") }
        guard try reader.u8() == version else { throw Malformed(reason: "unknown metadata version") }
        let url = try reader.string()
        let method = try reader.string()
        let code = Int(try reader.u16())
        let reason = try reader.string()
        guard (100...999).contains(code), !method.isEmpty else { throw Malformed(reason: "bad status or method") }
        let httpVersion: HTTPVersion
        switch try reader.u8() {
        case 0: httpVersion = .http1_0
        case 1: httpVersion = .http1_1
        case 2: httpVersion = .http2
        default: throw Malformed(reason: "unknown HTTP version")
        }
        let requestTime = try reader.date()
        let responseTime = try reader.date()
        let headers = try reader.fields()
        let varying = try reader.fields()
        var tls: TLSHandshake?
        switch try reader.u8() {
        case 0: break
        case 1:
            let tlsVersion: TLSVersion
            switch try reader.u8() {
            case 2: tlsVersion = .tls1_2
            case 3: tlsVersion = .tls1_3
            default: throw Malformed(reason: "unknown TLS version")
            }
            let cipher = try reader.string()
            let alpn: String?
            switch try reader.u8() {
            case 0: alpn = nil
            case 1: alpn = try reader.string()
            default: throw Malformed(reason: "bad ALPN flag")
            }
            let count = Int(try reader.u32())
            guard count <= 16 else { throw Malformed(reason: "too many certificates") }
            var certificates: [TLSCertificate] = []
            for _ in 0..<count { certificates.append(TLSCertificate(der: try reader.data())) }
            tls = TLSHandshake(
                version: tlsVersion, cipherSuite: cipher, applicationProtocol: alpn,
                peerCertificates: certificates, resumed: false)
        default: throw Malformed(reason: "bad TLS flag")
        }
        guard reader.isAtEnd else { throw Malformed(reason: "bytes after the metadata") }
        return CachedResponseHead(
            url: url, method: HTTPMethod(rawValue: method), status: HTTPStatus(code: code, reasonPhrase: reason),
            version: httpVersion, headers: headers, varyingRequestHeaders: varying,
            requestTime: requestTime, responseTime: responseTime, tlsHandshake: tls)
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSince1970 * 1000).rounded()
        return value.isFinite ? Int64(clamping: Int(exactly: value) ?? 0) : 0
    }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func u8(_ value: UInt8) { bytes.append(value) }

        mutating func u16(_ value: UInt16) {
            bytes.append(UInt8(value >> 8))
            bytes.append(UInt8(value & 0xFF))
        }

        mutating func u32(_ value: UInt32) {
            for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
        }

        mutating func i64(_ value: Int64) {
            let raw = UInt64(bitPattern: value)
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((raw >> UInt64(shift)) & 0xFF)) }
        }

        mutating func data(_ value: [UInt8]) {
            u32(UInt32(value.count))
            bytes.append(contentsOf: value)
        }

        mutating func string(_ value: String) { data(Array(value.utf8)) }

        mutating func fields(_ headers: HTTPHeaders) {
            u32(UInt32(headers.count))
            for field in headers {
                string(field.name)
                string(field.value)
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
            guard count >= 0, count <= bytes.count - offset else { throw Malformed(reason: "truncated metadata") }
            defer { offset += count }
            return bytes[offset..<(offset + count)]
        }

        mutating func u8() throws(Malformed) -> UInt8 { try take(1).first! }

        mutating func u16() throws(Malformed) -> UInt16 {
            try take(2).reduce(0) { $0 << 8 | UInt16($1) }
        }

        mutating func u32() throws(Malformed) -> UInt32 {
            try take(4).reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func i64() throws(Malformed) -> Int64 {
            Int64(bitPattern: try take(8).reduce(0) { $0 << 8 | UInt64($1) })
        }

        /// Milliseconds since 1970 within the years 1601–9999, the range an HTTP-date spans; in it
        /// a time converts to `Date` and back to the same milliseconds.
        mutating func date() throws(Malformed) -> Date {
            let milliseconds = try i64()
            guard (-11_644_473_600_000...253_402_300_799_000).contains(milliseconds) else {
                throw Malformed(reason: "time out of range")
            }
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        }

        mutating func data() throws(Malformed) -> [UInt8] {
            Array(try take(Int(try u32())))
        }

        mutating func string() throws(Malformed) -> String {
            let raw = try data()
            guard let text = String(validating: raw, as: UTF8.self) else { throw Malformed(reason: "invalid UTF-8") }
            return text
        }

        mutating func fields() throws(Malformed) -> HTTPHeaders {
            let count = Int(try u32())
            // Each field takes at least 8 bytes, so a count the rest cannot hold is corrupt.
            guard count <= (bytes.count - offset) / 8 else { throw Malformed(reason: "field count too large") }
            var headers = HTTPHeaders()
            headers.reserveCapacity(count)
            for _ in 0..<count {
                let name = try string()
                headers.add(name, try string())
            }
            return headers
        }
    }
}
