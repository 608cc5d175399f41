/// RFC 3492 Punycode with the IDNA parameters: how a label of an internationalised domain name
/// becomes the ASCII that DNS, the `Host` header and a certificate carry (`münchen` is
/// `mnchen-3ya`, sent with the `xn--` prefix).
package enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 0x80

    /// Longer input is refused, as ICU and rust-url refuse it (whatwg/url#824): the work grows
    /// with its square, and a server choosing a redirect's host must not choose a client's CPU
    /// time. A DNS label holds 63 octets; these bounds only keep nonsense cheap.
    package static let maxEncodedScalars = 1000
    static let maxDecodedInput = 2000

    /// The Punycode of `scalars` (without the `xn--` prefix); nil when a delta overflows or the
    /// label is past ``maxEncodedScalars``.
    package static func encode(_ scalars: [Unicode.Scalar]) -> String? {
        guard scalars.count <= maxEncodedScalars else { return nil }
        var output = scalars.filter(\.isASCII).map { Character($0) }
        let basicCount = output.count
        if basicCount > 0 { output.append("-") }
        var n = initialN
        var delta = 0
        var bias = initialBias
        var handled = basicCount
        let codes = scalars.map { Int($0.value) }
        while handled < codes.count {
            let next = codes.filter { $0 >= n }.min()!
            let (scaled, overflow) = (next - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= Int(Int32.max) - scaled else { return nil }
            delta += scaled
            n = next
            for code in codes {
                if code < n {
                    delta += 1
                    guard delta <= Int(Int32.max) else { return nil }
                }
                guard code == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = threshold(k, bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    /// The scalars that `text` (without the `xn--` prefix) encodes; nil when it is no valid
    /// Punycode: a non-ASCII basic part, a bad digit, a truncated delta, an overflow, or input
    /// past ``maxDecodedInput``.
    package static func decode(_ text: Substring) -> [Unicode.Scalar]? {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxDecodedInput else { return nil }
        // RFC 3492 §6.2: the last delimiter ends the basic code points only when some come
        // before it; a leading one is read as a (bad) digit.
        let delimiter = bytes.lastIndex(of: UInt8(ascii: "-")).flatMap { $0 > 0 ? $0 : nil }
        var output: [Unicode.Scalar] = []
        if let delimiter {
            for byte in bytes[..<delimiter] {
                guard byte < 0x80 else { return nil }
                output.append(Unicode.Scalar(byte))
            }
        }
        var n = initialN
        var i = 0
        var bias = initialBias
        var position = delimiter.map { $0 + 1 } ?? 0
        while position < bytes.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard position < bytes.count, let value = digitValue(bytes[position]) else { return nil }
                position += 1
                let (product, overflow) = value.multipliedReportingOverflow(by: w)
                guard !overflow, i <= Int(Int32.max) - product else { return nil }
                i += product
                let t = threshold(k, bias)
                if value < t { break }
                let (nextW, wOverflow) = w.multipliedReportingOverflow(by: base - t)
                guard !wOverflow, nextW <= Int(Int32.max) else { return nil }
                w = nextW
                k += base
            }
            bias = adapt(i - oldI, output.count + 1, first: oldI == 0)
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(n)), n >= 0x80 else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }
        return output
    }

    private static func threshold(_ k: Int, _ bias: Int) -> Int {
        k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
    }

    private static func adapt(_ delta: Int, _ count: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    private static func digit(_ value: Int) -> Character {
        Character(Unicode.Scalar(UInt8(value < 26 ? 0x61 + value : 0x30 + value - 26)))
    }

    private static func digitValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(byte - UInt8(ascii: "a"))
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0")) + 26
        default: nil
        }
    }
}
