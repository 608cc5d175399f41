import CourierCore
import CourierTransport

@testable import CourierHTTP2

/// What decoding a stream of bytes produced: frames and stream errors in order, then the
/// connection error that ended it, if any.
struct FrameRun: Equatable {
    enum Event: Equatable {
        case frame(HTTP2Frame)
        case streamError(HTTP2FrameError)
    }

    var events: [Event] = []
    var connectionError: HTTP2FrameError?
    /// Bytes left in the buffer when the input ran out or the connection error came.
    var unconsumed = 0

    var frames: [HTTP2Frame] {
        events.compactMap {
            guard case .frame(let frame) = $0 else { return nil }
            return frame
        }
    }

    /// Feeds `bytes` to a decoder in pieces of the given lengths (whole when nil), as reads would.
    init(_ bytes: [UInt8], pieces: [Int]? = nil, decoder: HTTP2FrameDecoder) {
        var decoder = decoder
        var buffer = ReceiveBuffer(initialReadSize: 64)
        var offset = 0
        for piece in pieces ?? [bytes.count] {
            buffer.append(bytes[offset..<(offset + piece)])
            offset += piece
            guard drain(&decoder, &buffer) else { break }
        }
        unconsumed = buffer.readableCount
    }

    /// Decodes every complete frame; false after a connection error.
    private mutating func drain(_ decoder: inout HTTP2FrameDecoder, _ buffer: inout ReceiveBuffer) -> Bool {
        while true {
            do {
                guard let frame = try decoder.nextFrame(from: &buffer) else { return true }
                events.append(.frame(frame))
            } catch {
                guard case .stream = error.scope else {
                    connectionError = error
                    return false
                }
                events.append(.streamError(error))
            }
        }
    }
}

/// A frame as raw octets, for frames the encoder would never write.
func rawFrame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8] = []) -> [UInt8] {
    let length = payload.count
    return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
        + bigEndian(stream) + payload
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func encoded(_ frames: [HTTP2Frame], maxFrameSize: Int = 16_384) -> [UInt8] {
    let encoder = HTTP2FrameEncoder(maxFrameSize: maxFrameSize)
    var buffer: [UInt8] = []
    for frame in frames { encoder.encode(frame, into: &buffer) }
    return buffer
}

/// What a client reads first from a server: an empty SETTINGS frame.
let serverPreface = encoded([HTTP2Frame(streamID: 0, payload: .settings([]))])
/// What a server reads first: the client preface and an empty SETTINGS frame.
let clientPreface = HTTP2ConnectionPreface.bytes + serverPreface

extension HTTP2FrameDecoder {
    static let client = HTTP2FrameDecoder(role: .client(pushEnabled: false))
}

/// The one connection error decoding `bytes` after the server's preface ends in, on a client.
func connectionError(_ bytes: [UInt8], decoder: HTTP2FrameDecoder = .client) -> HTTP2FrameError? {
    FrameRun(serverPreface + bytes, decoder: decoder).connectionError
}

/// The stream errors decoding `bytes` after the server's preface gives, on a client.
func streamErrors(_ bytes: [UInt8]) -> [HTTP2FrameError] {
    FrameRun(serverPreface + bytes, decoder: .client).events.compactMap {
        guard case .streamError(let error) = $0 else { return nil }
        return error
    }
}
