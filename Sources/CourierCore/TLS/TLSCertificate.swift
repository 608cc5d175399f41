import FoundationEssentials

/// An X.509 certificate, held as DER.
///
/// ```swift
/// let root = try TLSCertificate(pem: String(decoding: try Data(contentsOf: caURL), as: UTF8.self))
/// ```
public struct TLSCertificate: Hashable, Sendable {
    /// The certificate's DER encoding.
    public let der: [UInt8]

    public init(der: [UInt8]) {
        self.der = der
    }

    /// The first certificate in PEM text.
    ///
    /// - Throws: `HTTPClientError` `.tls(.invalidConfiguration)` when there is no certificate block.
    public init(pem: String) throws(HTTPClientError) {
        guard let first = try TLSCertificate.chain(pem: pem).first else {
            throw HTTPClientError(.tls(.invalidConfiguration), "The PEM text contains no CERTIFICATE block.")
        }
        self = first
    }

    /// Every certificate in PEM text, in order (a chain: leaf first).
    public static func chain(pem: String) throws(HTTPClientError) -> [TLSCertificate] {
        try PEM.blocks(labelled: "CERTIFICATE", in: pem).map(TLSCertificate.init(der:))
    }

    /// The certificate as PEM text.
    public var pem: String { PEM.encode(der, label: "CERTIFICATE") }
}

/// PEM armour (RFC 7468): base64 between BEGIN and END lines.
package enum PEM {
    package static func blocks(labelled label: String, in text: String) throws(HTTPClientError) -> [[UInt8]] {
        var blocks: [[UInt8]] = []
        var body: String?
        for line in text.split(whereSeparator: \.isNewline).map({ String($0.trimmingWhitespace()) }) {
            if line == "-----BEGIN \(label)-----" {
                body = ""
            } else if line == "-----END \(label)-----", let encoded = body {
                guard let data = Data(base64Encoded: encoded), !data.isEmpty else {
                    throw HTTPClientError(.tls(.invalidConfiguration), "A PEM \(label) block is not valid base64.")
                }
                blocks.append([UInt8](data))
                body = nil
            } else if body != nil {
                body! += line
            }
        }
        return blocks
    }

    package static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}
