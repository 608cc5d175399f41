/// How a byte stream is cut into the pieces that successive socket reads would return.
///
/// Parsers here are incremental: a bug that only shows when a CRLF, a chunk-size line or a
/// compressed block straddles two reads needs the input cut there. The cuts come from a
/// SplitMix64 generator seeded by a control byte and the payload length, so they are as random
/// as libFuzzer's mutations make them, and the same input always cuts the same way.
struct Segmentation {
    private enum Style {
        case bytewise
        case small
        case medium
        case large
    }

    private let style: Style
    private var state: UInt64

    /// `control`'s low two bits pick the piece sizes; all eight bits seed the generator.
    init(control: UInt8, length: Int) {
        switch control & 3 {
        // One byte (or a few) at a time costs calls per byte; past a few hundred bytes (or a few
        // KiB) it only slows the fuzzer down without reaching new states.
        case 0: style = length <= 512 ? .bytewise : length <= 2048 ? .small : .medium
        case 1: style = length <= 2048 ? .small : .medium
        case 2: style = .medium
        default: style = .large
        }
        state = UInt64(control) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(truncatingIfNeeded: length)
    }

    /// The length of the next piece, between 1 and `remaining`.
    mutating func next(remaining: Int) -> Int {
        precondition(remaining > 0)
        let limit: UInt64
        switch style {
        case .bytewise: return 1
        case .small: limit = 8
        case .medium: limit = 300
        case .large: limit = 5000
        }
        return min(remaining, Int(random() % limit) + 1)
    }

    /// SplitMix64 (Steele, Lea and Flood): small, fast and good enough to place cuts.
    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Cut points (piece lengths) for a whole stream of `length` bytes.
    mutating func pieces(of length: Int) -> [Int] {
        var result: [Int] = []
        var remaining = length
        while remaining > 0 {
            let piece = next(remaining: remaining)
            result.append(piece)
            remaining -= piece
        }
        return result
    }
}
