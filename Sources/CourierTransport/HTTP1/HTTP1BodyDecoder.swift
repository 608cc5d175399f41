package import CourierCore

/// Cuts a message body out of the received bytes according to its framing.
///
/// A state machine over `ReceiveBuffer`: each call consumes what it can and says whether it
/// produced data, needs more bytes, or reached the end. Chunk-size lines, chunk extensions and
/// trailers are checked and bounded; a body that ends early is an error, never a short body.
package struct HTTP1BodyDecoder {
    package enum Event: Equatable {
        case data(ByteBuffer)
        case needMore
        case end
    }

    private enum State {
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(lineBytes: Int)
        case untilClose
        case done
    }

    private var state: State
    private let limits: HTTP1Limits
    /// The trailer fields of a chunked body, complete once the decoder reports the end.
    package private(set) var trailers = HTTPHeaders()

    package init(framing: HTTP1Framing, limits: HTTP1Limits = HTTP1Limits()) {
        self.limits = limits
        switch framing {
        case .none, .contentLength(0): state = .done
        case .contentLength(let length): state = .fixed(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
    }

    package var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Whether the body ends only when the peer closes, so the connection cannot be reused.
    package var isCloseDelimited: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Consumes from `buffer` and reports what happened. Never returns an empty `.data`.
    package mutating func next(_ buffer: inout ReceiveBuffer) throws(HTTPClientError) -> Event {
        while true {
            switch state {
            case .done:
                return .end
            case .fixed(let remaining):
                guard buffer.readableCount > 0 else { return .needMore }
                let count = min(remaining, buffer.readableCount)
                state = count == remaining ? .done : .fixed(remaining: remaining - count)
                return .data(buffer.take(count))
            case .untilClose:
                guard buffer.readableCount > 0 else { return .needMore }
                return .data(buffer.take(buffer.readableCount))
            case .chunkData(let remaining):
                guard buffer.readableCount > 0 else { return .needMore }
                let count = min(remaining, buffer.readableCount)
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .data(buffer.take(count))
            case .chunkSize:
                guard let (size, used) = try parseChunkSizeLine(buffer) else { return .needMore }
                buffer.skip(used)
                state = size == 0 ? .trailers(lineBytes: 0) : .chunkData(remaining: size)
            case .chunkDataEnd:
                guard buffer.readableCount >= 2 else { return .needMore }
                let crlf = buffer.withReadableBytes { $0[0] == 0x0D && $0[1] == 0x0A }
                guard crlf else { throw chunkError("chunk data is not followed by CRLF") }
                buffer.skip(2)
                state = .chunkSize
            case .trailers(let lineBytes):
                guard let line = try takeTrailerLine(&buffer, seen: lineBytes) else { return .needMore }
                if line == 0 {
                    state = .done
                    return .end
                }
                state = .trailers(lineBytes: lineBytes + line)
            }
        }
    }

    /// The peer closed the connection: fine for a close-delimited body, an error otherwise.
    package mutating func endOfStream() throws(HTTPClientError) {
        switch state {
        case .done: return
        case .untilClose: state = .done
        case .fixed(let remaining):
            throw HTTPClientError.protocolViolation(
                .truncatedBody,
                "The connection closed \(remaining) bytes before the end of the body declared by Content-Length."
            )
        case .chunkData(let remaining):
            throw HTTPClientError.protocolViolation(
                .truncatedBody, "The connection closed \(remaining) bytes before the end of a chunk of the body.")
        case .chunkSize, .chunkDataEnd:
            throw HTTPClientError.protocolViolation(
                .truncatedBody, "The connection closed before the last chunk of the body.")
        case .trailers:
            throw HTTPClientError.protocolViolation(
                .truncatedBody,
                "The connection closed after the last chunk of the body but before the end of its trailer section.")
        }
    }

    /// chunk-size [ chunk-ext ] CRLF, where chunk-size is 1*HEXDIG.
    private func parseChunkSizeLine(_ buffer: ReceiveBuffer) throws(HTTPClientError) -> (Int, Int)? {
        try buffer.withReadableBytes { (bytes) throws(HTTPClientError) -> (Int, Int)? in
            guard let lf = bytes.prefix(limits.maxChunkLineBytes).firstIndex(of: 0x0A) else {
                if bytes.count >= limits.maxChunkLineBytes { throw chunkError("the chunk-size line is too long") }
                return nil
            }
            guard lf > 0, bytes[lf - 1] == 0x0D else { throw chunkError("the chunk-size line ends in a bare LF") }
            let line = UnsafeRawBufferPointer(rebasing: bytes[0..<(lf - 1)])
            var size = 0
            var index = 0
            while index < line.count, let digit = HTTPSyntax.hexValue(line[index]).map(Int.init) {
                guard size <= (Int.max >> 4) else { throw chunkError("the chunk size overflows") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else {
                throw chunkError(
                    "the chunk size \(String(decoding: line.prefix(40), as: UTF8.self).debugDescription) is not hexadecimal"
                )
            }
            if index < line.count {
                try HTTP1BodyDecoder.checkExtensions(UnsafeRawBufferPointer(rebasing: line[index...]))
            }
            return (size, lf + 1)
        }
    }

    /// chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): accepted and ignored, but
    /// only if well-formed, so a size line cannot smuggle bytes.
    private static func checkExtensions(_ bytes: UnsafeRawBufferPointer) throws(HTTPClientError) {
        var index = 0
        func skipWhitespace() {
            while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09) { index += 1 }
        }
        func malformed(_ reason: String) -> HTTPClientError {
            HTTPClientError.protocolViolation(.invalidChunk, "Malformed chunked body: \(reason).")
        }
        while index < bytes.count {
            skipWhitespace()
            guard index < bytes.count else { throw malformed("whitespace after the chunk size or extension") }
            guard bytes[index] == UInt8(ascii: ";") else { throw malformed("unexpected bytes after the chunk size") }
            index += 1
            skipWhitespace()
            let nameStart = index
            while index < bytes.count && HTTPSyntax.isTokenCharacter(bytes[index]) { index += 1 }
            guard index > nameStart else { throw malformed("a chunk extension has no name") }
            let beforeEquals = index
            skipWhitespace()
            guard index < bytes.count && bytes[index] == UInt8(ascii: "=") else {
                index = beforeEquals
                continue
            }
            index += 1
            skipWhitespace()
            if index < bytes.count && bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    // quoted-pair = "\\" ( HTAB / SP / VCHAR / obs-text ): the escaped octet too.
                    let length = bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                    guard index + length <= bytes.count,
                        HTTPSyntax.isFieldValueCharacter(bytes[index]),
                        HTTPSyntax.isFieldValueCharacter(bytes[index + length - 1])
                    else {
                        throw malformed(
                            index + length > bytes.count
                                ? "an unterminated quoted chunk extension" : "a control character in a chunk extension")
                    }
                    index += length
                }
                guard index < bytes.count else { throw malformed("an unterminated quoted chunk extension") }
                index += 1
            } else {
                let valueStart = index
                while index < bytes.count && HTTPSyntax.isTokenCharacter(bytes[index]) { index += 1 }
                guard index > valueStart else { throw malformed("a chunk extension has an empty value") }
            }
        }
    }

    /// Consumes one trailer line; returns its length (0 for the final empty line) or nil if incomplete.
    private mutating func takeTrailerLine(_ buffer: inout ReceiveBuffer, seen: Int) throws(HTTPClientError) -> Int? {
        let result = try buffer.withReadableBytes { (bytes) throws(HTTPClientError) -> (HTTPHeaders.Field?, Int)? in
            guard let lf = bytes.firstIndex(of: 0x0A) else {
                if seen + bytes.count > limits.maxHeadBytes { throw trailersTooLarge() }
                return nil
            }
            guard lf > 0, bytes[lf - 1] == 0x0D else { throw chunkError("a trailer line ends in a bare LF") }
            let line = UnsafeRawBufferPointer(rebasing: bytes[0..<(lf - 1)])
            let field = line.isEmpty ? nil : try HTTP1HeadParser.parseField(line)
            if seen + lf + 1 > limits.maxHeadBytes { throw trailersTooLarge() }
            return (field, lf + 1)
        }
        guard let (field, used) = result else { return nil }
        buffer.skip(used)
        guard let field else { return 0 }
        trailers.add(field.name, field.value)
        return used
    }

    private func trailersTooLarge() -> HTTPClientError {
        HTTPClientError.protocolViolation(
            .headersTooLarge, "The chunked body's trailers are larger than \(limits.maxHeadBytes) bytes.")
    }

    private func chunkError(_ reason: String) -> HTTPClientError {
        HTTPClientError.protocolViolation(.invalidChunk, "Malformed chunked body: \(reason).")
    }

}
