import CourierCache
import CourierCore
import FoundationEssentials
import Testing

@Suite("Stored metadata encoding")
struct CachedResponseHeadCodingTests {
    static let sample: CachedResponseHead = {
        var head = Heads.head(
            ["Content-Type": "text/plain", "Set-Cookie": "a=1", "set-cookie": "b=2", "Vary": "Accept-Encoding"],
            varying: ["Accept-Encoding": "gzip"], delay: 0.25)
        head.version = .http2
        head.tlsHandshake = TLSHandshake(
            version: .tls1_3, cipherSuite: "TLS_AES_128_GCM_SHA256", applicationProtocol: "h2",
            peerCertificates: [TLSCertificate(der: [1, 2, 3]), TLSCertificate(der: [4])], resumed: false)
        return head
    }()

    @Test("A head survives encoding and decoding unchanged, TLS facts and repeated fields included")
    func roundTrip() throws {
        let bytes = CachedResponseHeadCoding.encode(Self.sample)
        #expect(try CachedResponseHeadCoding.decode(bytes) == Self.sample)
        var plain = Self.sample
        plain.tlsHandshake = nil
        plain.status = HTTPStatus(code: 404, reasonPhrase: "Nope")
        #expect(try CachedResponseHeadCoding.decode(CachedResponseHeadCoding.encode(plain)) == plain)
    }

    @Test("Every truncation of a valid blob is rejected, never a crash")
    func truncations() {
        let bytes = CachedResponseHeadCoding.encode(Self.sample)
        for length in 0..<bytes.count {
            #expect(throws: CachedResponseHeadCoding.Malformed.self) {
                try CachedResponseHeadCoding.decode(Array(bytes[..<length]))
            }
        }
        #expect(throws: CachedResponseHeadCoding.Malformed.self) { try CachedResponseHeadCoding.decode(bytes + [0]) }
    }

    @Test("Random corruption either decodes to some head or is rejected")
    func corruption() {
        var generator = SystemRandomNumberGenerator()
        let bytes = CachedResponseHeadCoding.encode(Self.sample)
        for _ in 0..<2000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(
                    in: 0...255, using: &generator)
            }
            _ = try? CachedResponseHeadCoding.decode(damaged)
        }
        #expect(throws: CachedResponseHeadCoding.Malformed.self) {
            try CachedResponseHeadCoding.decode(Array("CCHM\u{2}".utf8))
        }
        #expect(throws: CachedResponseHeadCoding.Malformed.self) {
            try CachedResponseHeadCoding.decode(Array("GIF89a garbage".utf8))
        }
    }

    @Test("A huge field count in a short blob is rejected before allocating")
    func hugeCount() {
        var bytes = CachedResponseHeadCoding.encode(Self.sample)
        // The headers' count follows the two 8-byte times; find it by encoding a head with no fields.
        var empty = Self.sample
        empty.headers = [:]
        empty.varyingRequestHeaders = [:]
        empty.tlsHandshake = nil
        let prefix = CachedResponseHeadCoding.encode(empty).count - 9
        bytes.replaceSubrange(prefix..<(prefix + 4), with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: CachedResponseHeadCoding.Malformed.self) { try CachedResponseHeadCoding.decode(bytes) }
    }
}

@Suite("Cache keys")
struct CacheKeyTests {
    @Test("SHA-256 matches the FIPS 180-4 examples")
    func digest() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).leftPadded() }.joined() }
        #expect(
            hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("A key is 64 lowercase hex characters, ignores the fragment and differs per URL")
    func keys() {
        let key = CacheKey.key(for: URL(string: "https://example.com/a?b=c")!)
        #expect(key.count == 64)
        #expect(key.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        #expect(key == CacheKey.key(for: URL(string: "https://example.com/a?b=c#frag")!))
        #expect(key != CacheKey.key(for: URL(string: "https://example.com/a?b=d")!))
    }
}

extension String {
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}
