import CourierCore

/// Runs a ``SOCKS5Handshake`` over a socket connected to the proxy; on the socket's reactor.
/// Afterwards the socket is a tunnel to the address's origin.
enum SOCKS5Tunnel {
    static func open(_ socket: Socket, to address: Address, timeout: IOTimeout) async throws {
        let proxy = address.proxy
        var handshake = try SOCKS5Handshake(
            host: address.host, port: address.port, credentials: proxy.credentials, proxyName: proxy.description)
        let doing = "in the SOCKS5 handshake"
        var buffer = ReceiveBuffer(initialReadSize: 512)
        try await ProxyIO.write(socket, ByteBuffer(handshake.start()), proxy: proxy, doing: doing, timeout: timeout)
        while true {
            let (action, used) = try handshake.receive(buffer.withReadableBytes { Array($0) })
            buffer.skip(used)
            switch action {
            case .send(let bytes):
                try await ProxyIO.write(socket, ByteBuffer(bytes), proxy: proxy, doing: doing, timeout: timeout)
            case .needMore:
                try await ProxyIO.read(socket, into: &buffer, proxy: proxy, doing: doing, timeout: timeout)
            case .established:
                // Nothing was asked of the origin yet: bytes now would be the proxy's mistake, and
                // would be lost to the TLS or HTTP reader that takes the socket over.
                guard buffer.readableCount == 0 else {
                    throw HTTPClientError(
                        .proxy(.protocolViolation),
                        "SOCKS5 proxy \(proxy) sent \(buffer.readableCount) bytes after its reply, before any request.")
                }
                return
            }
        }
    }
}
