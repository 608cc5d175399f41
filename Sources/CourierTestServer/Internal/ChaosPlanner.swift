/// Draws the plan for one request target from a generator seeded by the chaos seed and the
/// target, so the same seed and target always give the same plan.
struct ChaosPlanner {
    typealias Chaos = TestServer.Chaos

    /// The faults that ``TestServer/Chaos/Weights`` weigh.
    private enum Kind: CaseIterable {
        case normal, closeAfterResponse, trickle, reset, stall, truncate, corrupt
    }

    /// Where a cut may fall, before its offset is drawn.
    private enum Place {
        case beforeHead, inHead, inBody
    }

    private enum CorruptionKind: CaseIterable {
        case statusLine, headerLine, conflictingContentLength, contentLengthAndChunked, chunkSize
    }

    /// Status lines a strict client refuses as `malformedStatusLine`.
    private static let statusLines = [
        "HTTP/1.1 2x0 OK", "HTTP/1.1 20 OK", "HTTP/2.0 200 OK", "HTTP/1.1 099 Early", "ICY 200 OK",
        "HTTP/1.1 200 O\u{7}K", "HTTP/1.1 200 OK\n",
    ]
    /// Header lines a strict client refuses as `malformedHeader`.
    private static let headerLines = [
        "X-Chaos: a\u{1}b", "X-Chaos : 1", "No colon here", " folded\u{1}continuation", "X-Chaos: a\rb",
        "X-Chaos: a\nb", "Bad\u{FF}Name: 1",
    ]
    /// Chunk-size lines a strict client refuses as `invalidChunk`.
    private static let chunkSizeLines = ["zz", "-1", "0x10", "", "5 ", "5\u{1}", "ffffffffffffffffff", "5;"]

    private let chaos: Chaos
    private var random: SplitMix64

    init(chaos: Chaos, target: String) {
        self.chaos = chaos
        self.random = SplitMix64(seed: chaos.seed, target: target)
    }

    mutating func draw() -> Chaos.Plan {
        // Sizes are log-uniform: every power of two up to the limit is as likely.
        let bits = Int.random(in: 0...(Int.bitWidth - chaos.maxBodySize.leadingZeroBitCount), using: &random)
        let size = Int.random(in: 0...min(chaos.maxBodySize, (1 << bits) - 1), using: &random)
        // At most 256 chunks, so a large body is not mostly framing.
        let chunkSize = max(size / 256, 1 << Int.random(in: 0...14, using: &random))
        var framing: Chaos.Framing = Bool.random(using: &random) ? .chunked(chunkSize: chunkSize) : .contentLength
        let bodyOffset = Int.random(in: 0...Chaos.patternSlack, using: &random)
        let fault: Chaos.Fault
        switch drawKind() {
        case .normal:
            fault = .none
        case .closeAfterResponse:
            fault = .closeAfterResponse
        case .trickle:
            fault = .trickle(
                pieceSize: 1 << Int.random(in: 0...6, using: &random),
                pieces: Int.random(in: 1...24, using: &random),
                pause: .milliseconds(Int.random(in: 1...15, using: &random))
            )
        case .reset:
            let place = [Place.beforeHead, .inHead, .inBody].randomElement(using: &random)!
            fault = .reset(at: point(place, size: size, framing: framing))
        case .stall:
            let place = [Place.beforeHead, .inBody].randomElement(using: &random)!
            fault = .stall(at: point(place, size: size, framing: framing))
        case .truncate:
            fault = .truncate(at: point(.inBody, size: size, framing: framing))
        case .corrupt:
            let corruption: Chaos.Corruption
            switch CorruptionKind.allCases.randomElement(using: &random)! {
            case .statusLine:
                corruption = .malformedStatusLine(ChaosPlanner.statusLines.randomElement(using: &random)!)
            case .headerLine:
                corruption = .garbageInHeader(ChaosPlanner.headerLines.randomElement(using: &random)!)
            case .conflictingContentLength:
                framing = .contentLength
                corruption = .conflictingContentLength
            case .contentLengthAndChunked:
                framing = .chunked(chunkSize: chunkSize)
                corruption = .contentLengthAndChunked
            case .chunkSize:
                framing = .chunked(chunkSize: chunkSize)
                let dataChunks = (size + chunkSize - 1) / chunkSize
                corruption = .bogusChunkSize(
                    ChaosPlanner.chunkSizeLines.randomElement(using: &random)!,
                    chunk: Int.random(in: 0...dataChunks, using: &random)
                )
            }
            fault = .corrupt(corruption)
        }
        return Chaos.Plan(bodySize: size, framing: framing, fault: fault, bodyOffset: bodyOffset)
    }

    private mutating func drawKind() -> Kind {
        let weights = chaos.weights
        precondition(weights.total > 0, "at least one chaos weight must be positive")
        var roll = Int.random(in: 0..<weights.total, using: &random)
        for kind in Kind.allCases {
            let weight =
                switch kind {
                case .normal: weights.normal
                case .closeAfterResponse: weights.closeAfterResponse
                case .trickle: weights.trickle
                case .reset: weights.reset
                case .stall: weights.stall
                case .truncate: weights.truncate
                case .corrupt: weights.corrupt
                }
            if roll < weight { return kind }
            roll -= weight
        }
        preconditionFailure("the roll is below the sum of the weights")
    }

    /// A cut at `place`; in the body of a response whose framed body is empty (an empty body
    /// with Content-Length), a cut falls in the head instead.
    private mutating func point(_ place: Place, size: Int, framing: Chaos.Framing) -> Chaos.Point {
        let headLength = ChaosWire.head(bodySize: size, framing: framing, fault: .none).count
        let bodyLength =
            switch framing {
            case .contentLength: size
            case .chunked(let chunkSize): ChaosWire.chunkedLength(bodySize: size, chunkSize: chunkSize)
            }
        switch place {
        case .beforeHead:
            return .beforeHead
        case .inBody where bodyLength > 0:
            return .inBody(after: Int.random(in: 0..<bodyLength, using: &random))
        case .inHead, .inBody:
            return .inHead(after: Int.random(in: 1..<headLength, using: &random))
        }
    }
}
