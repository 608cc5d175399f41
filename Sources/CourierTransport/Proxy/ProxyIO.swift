import CourierCore

/// The errors of a conversation with a proxy before its tunnel is open, named after the proxy:
/// it belongs to connecting, so a timeout is the connect timeout.
enum ProxyIO {
    static func map(_ error: any Error, proxy: Proxy, doing what: String) -> any Error {
        switch error {
        case ReactorError.timedOut:
            HTTPClientError(.timeout(.connect), "Timed out \(what) with proxy \(proxy).")
        case let error as SocketError where error.isConnectionReset:
            HTTPClientError(.connectionClosed, "Proxy \(proxy) reset the connection \(what).")
        case let error as SocketError:
            HTTPClientError(.connectFailed, "The connection to proxy \(proxy) failed \(what): \(error).")
        case ReactorError.closed:
            HTTPClientError(.connectionClosed, "The connection to proxy \(proxy) was closed \(what).")
        default:
            error
        }
    }

    /// Reads more from `socket`; end of stream is an error: the proxy left mid-conversation.
    static func read(
        _ socket: Socket, into buffer: inout ReceiveBuffer, proxy: Proxy, doing what: String, timeout: IOTimeout
    ) async throws {
        let count: Int
        do {
            try timeout.check()
            count = try await socket.read(into: &buffer, deadline: timeout.deadline)
        } catch {
            throw map(error, proxy: proxy, doing: what)
        }
        guard count > 0 else {
            throw HTTPClientError(.connectionClosed, "Proxy \(proxy) closed the connection \(what).")
        }
    }

    static func write(
        _ socket: Socket, _ bytes: ByteBuffer, proxy: Proxy, doing what: String, timeout: IOTimeout
    ) async throws {
        do {
            try timeout.check()
            try await socket.write(bytes, deadline: timeout.deadline)
        } catch {
            throw map(error, proxy: proxy, doing: what)
        }
    }
}
