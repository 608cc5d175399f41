import CourierCore
import CourierTransport

@testable import CourierWebSocket

/// What decoding a stream of bytes produced: the frames in order, then the error that ended it.
struct FrameRun: Equatable {
    var frames: [WebSocketFrame] = []
    var error: WebSocketProtocolError?
    /// Bytes left in the buffer when the input ran out or the error came.
    var unconsumed = 0

    /// Feeds `bytes` to a decoder in pieces of the given lengths (whole when nil), as reads would.
    init(_ bytes: [UInt8], pieces: [Int]? = nil, decoder: WebSocketFrameDecoder) {
        var buffer = ReceiveBuffer(initialReadSize: 64)
        var offset = 0
        reading: for piece in pieces ?? [bytes.count] {
            buffer.append(bytes[offset..<(offset + piece)])
            offset += piece
            while true {
                do {
                    guard let frame = try decoder.nextFrame(from: &buffer) else { break }
                    frames.append(frame)
                } catch {
                    self.error = error
                    break reading
                }
            }
        }
        unconsumed = buffer.readableCount
    }
}

/// Every way to cut `count` bytes in two, and one byte at a time.
func splits(of count: Int) -> [[Int]] {
    (0...count).map { [$0, count - $0] } + [Array(repeating: 1, count: count)]
}

/// Mask keys chosen by the test, in turn.
struct FixedMaskKeys: RandomNumberGenerator, Sendable {
    let keys: [UInt32]
    private var index = 0

    init(_ keys: UInt32...) {
        self.keys = keys
    }

    mutating func next() -> UInt64 {
        defer { index += 1 }
        return UInt64(keys[index % keys.count])
    }
}

/// SplitMix64: reproducible pseudo-random test data.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

/// A clock that moves only when the test says so.
struct ManualClock {
    private(set) var now = ContinuousClock.now

    mutating func advance(by duration: Duration) {
        now += duration
    }
}

extension Array where Element == UInt8 {
    init(hex: String) {
        let digits = hex.split(separator: " ")
        self = digits.map { UInt8($0, radix: 16)! }
    }
}

func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true, compressed: Bool = false) -> WebSocketFrame {
    WebSocketFrame(fin: fin, compressed: compressed, opcode: opcode, payload: ByteBuffer(string: text))
}

func frame(_ opcode: WebSocketOpcode, bytes: [UInt8], fin: Bool = true, compressed: Bool = false) -> WebSocketFrame {
    WebSocketFrame(fin: fin, compressed: compressed, opcode: opcode, payload: ByteBuffer(bytes))
}

/// A frame as raw octets, for frames the encoder would never write: `first` is FIN, RSV and the
/// opcode; the length is encoded minimally unless `lengthOctets` forces 2 or 8.
func rawFrame(_ first: UInt8, mask: UInt32? = nil, _ payload: [UInt8] = [], lengthOctets: Int? = nil) -> [UInt8] {
    var bytes = [first]
    let maskBit: UInt8 = mask == nil ? 0 : 0x80
    let length = payload.count
    switch lengthOctets ?? (length < 126 ? 0 : length <= 0xFFFF ? 2 : 8) {
    case 0: bytes.append(maskBit | UInt8(length))
    case 2: bytes += [maskBit | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
    default: bytes += [maskBit | 127] + (0..<8).reversed().map { UInt8(truncatingIfNeeded: length >> ($0 * 8)) }
    }
    guard let mask else { return bytes + payload }
    let key = (0..<4).map { UInt8(truncatingIfNeeded: mask >> (24 - 8 * $0)) }
    return bytes + key + payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
}
