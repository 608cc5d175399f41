import CourierCore
import Synchronization

/// A response body that had arrived whole with its head (see ``ExchangeCodec/takeWholeBody()``):
/// its exchange is over and its connection back in the pool, so reading it is handing over the
/// bytes, and dropping it frees nothing but them.
///
/// Still a source, not a plain buffer body: the stages above treat it as a body from the network
/// (decoding, logging, cache writing, the call's end when it has been read).
final class WholeResponseBody: HTTPBodySource {
    private let bytes: Mutex<ByteBuffer?>

    init(_ bytes: ByteBuffer) {
        self.bytes = Mutex(bytes)
    }

    func read() async throws -> ByteBuffer? {
        bytes.withLock { bytes in
            defer { bytes = nil }
            return bytes.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    func abandon() async {
        bytes.withLock { $0 = nil }
    }

    var trailers: HTTPHeaders { HTTPHeaders() }
}
