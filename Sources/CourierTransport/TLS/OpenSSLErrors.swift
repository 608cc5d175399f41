import CCourierOpenSSL

/// The thread's OpenSSL error queue, drained.
enum OpenSSLErrors {
    struct Entry {
        let code: UInt
        var reason: Int32 { Int32(code & 0x7FFFFF) }
        var text: String {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Every queued error, oldest first; the queue is empty afterwards.
    static func drain() -> [Entry] {
        var entries: [Entry] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { return entries }
            entries.append(Entry(code: code))
        }
    }

    static func describe(_ entries: [Entry]) -> String {
        entries.isEmpty ? "no OpenSSL error" : entries.map(\.text).joined(separator: "; ")
    }
}
