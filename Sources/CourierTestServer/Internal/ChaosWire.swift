import CourierCore

/// The bytes of a planned chaos response: its head and its framed body, corruption included.
/// Faults cut these bytes at a ``TestServer/Chaos/Point``; building them is kept apart from
/// sending them so the planner can measure a head without building a body.
struct ChaosWire {
    typealias Chaos = TestServer.Chaos

    let head: ByteBuffer
    let body: ByteBuffer

    /// - Parameter payload: the body's bytes, ``TestServer/Chaos/body(of:)``.
    /// - Parameter sendsBody: false for the answer to a HEAD request, which is a head only.
    init(plan: Chaos.Plan, payload: ByteBuffer, sendsBody: Bool) {
        head = ByteBuffer(ChaosWire.head(bodySize: plan.bodySize, framing: plan.framing, fault: plan.fault))
        guard sendsBody else {
            body = ByteBuffer()
            return
        }
        switch plan.framing {
        case .contentLength:
            body = payload
        case .chunked(let chunkSize):
            var bogus: (line: String, chunk: Int)?
            if case .corrupt(.bogusChunkSize(let line, let chunk)) = plan.fault { bogus = (line, chunk) }
            body = ByteBuffer(ChaosWire.chunked(payload, by: chunkSize, bogus: bogus))
        }
    }

    var count: Int { head.count + body.count }

    /// How far into the response `point` is.
    func offset(of point: Chaos.Point) -> Int {
        switch point {
        case .beforeHead: 0
        case .inHead(let count): min(count, head.count)
        case .inBody(let count): head.count + min(count, body.count)
        }
    }

    /// Bytes `range` of the response: the part in the head, then the part in the body.
    func slice(_ range: Range<Int>) -> (ByteBuffer, ByteBuffer) {
        let inHead = range.clamped(to: 0..<head.count)
        let inBody = range.clamped(to: head.count..<count)
        return (
            head.slice(from: inHead.lowerBound, count: inHead.count),
            body.slice(from: inBody.lowerBound - head.count, count: inBody.count)
        )
    }

    /// The head: a 200 with the framing field, or what a corruption puts in its place.
    static func head(bodySize: Int, framing: Chaos.Framing, fault: Chaos.Fault) -> [UInt8] {
        var statusLine = "HTTP/1.1 200 OK"
        var fields: [String]
        switch framing {
        case .contentLength: fields = ["Content-Length: \(bodySize)"]
        case .chunked: fields = ["Transfer-Encoding: chunked"]
        }
        if case .corrupt(let corruption) = fault {
            switch corruption {
            case .malformedStatusLine(let line): statusLine = line
            case .garbageInHeader(let line): fields.append(line)
            case .conflictingContentLength: fields.append("Content-Length: \(bodySize + 1)")
            case .contentLengthAndChunked: fields.append("Content-Length: \(bodySize)")
            case .bogusChunkSize: break
            }
        }
        return Array(([statusLine] + fields + ["", ""]).joined(separator: "\r\n").utf8)
    }

    /// The length of a body of `bodySize` bytes framed in chunks of `chunkSize`.
    static func chunkedLength(bodySize: Int, chunkSize: Int) -> Int {
        func framed(_ count: Int) -> Int { String(count, radix: 16).utf8.count + 2 + count + 2 }
        let remainder = bodySize % chunkSize
        return bodySize / chunkSize * framed(chunkSize) + (remainder > 0 ? framed(remainder) : 0) + 5
    }

    /// `payload` in chunks of `chunkSize`, ended by the last chunk; `bogus` replaces one size line.
    private static func chunked(_ payload: ByteBuffer, by chunkSize: Int, bogus: (line: String, chunk: Int)?) -> [UInt8]
    {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(chunkedLength(bodySize: payload.count, chunkSize: chunkSize))
        var index = 0
        func appendSizeLine(_ count: Int) {
            let line = bogus.flatMap { $0.chunk == index ? $0.line : nil } ?? String(count, radix: 16)
            bytes.append(contentsOf: line.utf8)
            bytes.append(contentsOf: [0x0D, 0x0A])
            index += 1
        }
        payload.withUnsafeBytes { payload in
            var offset = 0
            while offset < payload.count {
                let count = min(chunkSize, payload.count - offset)
                appendSizeLine(count)
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[offset..<(offset + count)]))
                bytes.append(contentsOf: [0x0D, 0x0A])
                offset += count
            }
        }
        appendSizeLine(0)
        bytes.append(contentsOf: [0x0D, 0x0A])
        return bytes
    }
}
