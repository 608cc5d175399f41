package import CourierCore
import Synchronization

/// What a response that switched protocols hands over: an HTTP/1.1 connection after a 101, or
/// an HTTP/2 stream after a 2xx to extended CONNECT (RFC 8441). Its byte stream, and the bytes
/// the server sent after the 101's head that the HTTP reader already took off the socket (a
/// server may start talking the new protocol at once). Taken once; closed if dropped untaken, so
/// an interceptor that swallows the response leaks no descriptor and no stream.
package final class SwitchedStream: SwitchedConnection {
    package let info: ConnectionInfo
    /// Whether the stream is the whole connection (HTTP/1.1), which then leaves the pool, rather
    /// than one stream of a connection that goes on serving other calls.
    package let ownsConnection: Bool
    private let parts: Mutex<(stream: any ByteStream, leftover: ReceiveBuffer)?>

    package init(stream: any ByteStream, leftover: ReceiveBuffer, info: ConnectionInfo, ownsConnection: Bool) {
        self.info = info
        self.ownsConnection = ownsConnection
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
