package import CourierCore
import Synchronization

/// An HTTP/1.1 connection after a 101 (Switching Protocols): its byte stream, and the bytes the
/// server sent after the 101's head that the HTTP reader already took off the socket (a server
/// may start talking the new protocol at once). Taken once; closed if dropped untaken, so an
/// interceptor that swallows the 101 response leaks no descriptor.
package final class SwitchedStream: SwitchedConnection {
    package let info: ConnectionInfo
    private let parts: Mutex<(stream: any ByteStream, leftover: ReceiveBuffer)?>

    init(stream: any ByteStream, leftover: ReceiveBuffer, info: ConnectionInfo) {
        self.info = info
        parts = Mutex((stream, leftover))
    }

    /// The stream and the bytes already read from it, the first time; nil after.
    package func take() -> (stream: any ByteStream, leftover: ReceiveBuffer)? {
        parts.withLock { parts in
            defer { parts = nil }
            return parts
        }
    }

    deinit {
        parts.withLock { $0?.stream.close() }
    }
}
