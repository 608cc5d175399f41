import CourierCore
import CourierTransport

/// One decoding of a body stream by `HTTP1BodyDecoder`, fed the way a connection feeds it: a
/// piece is written into the `ReceiveBuffer` only when the decoder asks for more, and
/// `endOfStream()` is called when the pieces run out (the peer closed).
///
/// The invariants that hold for every framing are checked while it runs; the caller compares
/// runs with different cuts and checks what the framing implies.
struct BodyDecodeRun: Equatable {
    static func == (lhs: BodyDecodeRun, rhs: BodyDecodeRun) -> Bool {
        lhs.outcome == rhs.outcome && sameBytes(lhs.data, rhs.data)
    }

    enum Outcome: Equatable {
        /// The decoder reported the end after consuming this many bytes of the stream.
        case ended(consumed: Int)
        /// The stream ran out and `endOfStream()` accepted that (a close-delimited body).
        case closed
        /// The stream ran out and `endOfStream()` threw: the body is truncated.
        case truncated
        /// `next` threw: the bytes are malformed or over a limit.
        case rejected
    }

    /// Every data byte the decoder yielded, in order.
    var data: [UInt8] = []
    var outcome = Outcome.rejected

    init(
        _ stream: UnsafeRawBufferPointer, framing: HTTP1Framing, limits: HTTP1Limits, pieces: [Int],
        initialReadSize: Int
    ) {
        var buffer = ReceiveBuffer(initialReadSize: initialReadSize)
        var decoder = HTTP1BodyDecoder(framing: framing, limits: limits)
        var fed = 0
        var nextPiece = 0
        var chunks: [ByteBuffer] = []
        // Each step consumes a byte, feeds a piece or finishes, so more steps than this is a loop
        // that makes no progress.
        let maximumSteps = 2 * stream.count + pieces.count + 4
        var steps = 0
        loop: while true {
            steps += 1
            require(steps <= maximumSteps, "the decoder made no progress after \(steps) steps")
            let event: HTTP1BodyDecoder.Event
            do {
                event = try decoder.next(&buffer)
            } catch {
                BodyDecodeRun.checkError(error)
                outcome = .rejected
                break loop
            }
            switch event {
            case .data(let chunk):
                require(!chunk.isEmpty, "the decoder yielded an empty chunk")
                chunks.append(chunk)
                data.append(chunk)
                require(data.count <= fed, "the decoder yielded \(data.count) bytes after being fed \(fed)")
            case .end:
                require(decoder.isComplete, "the decoder ended without being complete")
                let consumed = fed - buffer.readableCount
                require(consumed >= data.count, "consumed \(consumed) bytes but yielded \(data.count)")
                // Bytes after the body (the next pipelined response) stay in the buffer untouched.
                let rest = UnsafeRawBufferPointer(rebasing: stream[consumed..<fed])
                require(
                    buffer.withReadableBytes { sameBytes($0, rest) },
                    "the bytes after the body changed: \(buffer.withReadableBytes { escaped($0) }) for \(escaped(rest))"
                )
                outcome = .ended(consumed: consumed)
                break loop
            case .needMore:
                guard nextPiece < pieces.count else {
                    do {
                        try decoder.endOfStream()
                    } catch {
                        require(
                            error.kind == .protocolViolation(.truncatedBody),
                            "endOfStream threw an unexpected kind of error: \(error)")
                        outcome = .truncated
                        break loop
                    }
                    require(decoder.isComplete, "endOfStream accepted the close but the decoder is not complete")
                    outcome = .closed
                    break loop
                }
                buffer.append(UnsafeRawBufferPointer(rebasing: stream[fed..<(fed + pieces[nextPiece])]))
                fed += pieces[nextPiece]
                nextPiece += 1
            }
        }
        // Chunks lent out of the receive buffer must not change when later reads reuse it.
        var offset = 0
        for chunk in chunks {
            let copied = data.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + chunk.count)]) }
            require(
                chunk.withUnsafeBytes { sameBytes($0, copied) },
                "a chunk already yielded changed while later bytes were read")
            offset += chunk.count
        }
    }

    /// The decoder rejects only with the body-framing protocol violations.
    private static func checkError(_ error: HTTPClientError) {
        switch error.kind {
        case .protocolViolation(.invalidChunk), .protocolViolation(.malformedHeader),
            .protocolViolation(.headersTooLarge):
            break
        default:
            require(false, "the body decoder threw an unexpected kind of error: \(error)")
        }
    }
}
