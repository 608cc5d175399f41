import CourierTransport

/// The loop that reads one WebSocket: frames from the socket, messages to the inbox, control
/// frames to the connection. Runs pinned to the socket's reactor; back-pressure suspends it in
/// `push`, which stops it reading the socket. A frame that is costly to take (see
/// ``WebSocketMessageAssembler/isCostly(_:)``) is decompressed and checked on the cooperative
/// pool, so a large message does not hold up the reactor's other connections.
enum WebSocketReader {
    /// How long a bad frame's failure waits for the consumer to deal with the messages before it.
    static let catchUpLimit: Duration = .milliseconds(500)

    static func run(
        _ connection: WebSocketConnection, leftover: ReceiveBuffer, deflate: PerMessageDeflateParameters?
    ) async {
        var buffer = leftover
        let maxMessageSize = connection.options.maxMessageSize
        let decoder = WebSocketFrameDecoder(
            role: .client, compressionNegotiated: deflate != nil, maxFramePayloadSize: maxMessageSize)
        var assembler = WebSocketMessageAssembler(role: .client, deflate: deflate, maxMessageSize: maxMessageSize)
        reading: while true {
            do {
                while connection.isReading, let frame = try decoder.nextFrame(from: &buffer) {
                    let event =
                        if assembler.isCostly(frame) {
                            try await withTaskExecutorPreference(globalConcurrentExecutor) {
                                () async throws(WebSocketProtocolError) in try assembler.receive(frame)
                            }
                        } else {
                            try assembler.receive(frame)
                        }
                    switch event {
                    case .none: break
                    case .message(let message): await connection.inbox.push(message)
                    case .ping(let payload): connection.pingReceived(payload)
                    case .pong: connection.pongReceived()
                    case .close(let payload): connection.closeFrameReceived(payload)
                    }
                }
                if connection.isReading {
                    try decoder.withArrivingPayload(in: buffer) { header, arrived throws(WebSocketProtocolError) in
                        try assembler.checkArriving(header, arrived: arrived)
                    }
                }
                if connection.isStopping { break reading }
                // After the peer's close frame nothing it sends counts (RFC 6455 §5.5.1).
                if !connection.isReading { buffer.skip(buffer.readableCount) }
                if try await connection.stream.read(into: &buffer, deadline: nil) == 0 {
                    connection.connectionEnded()
                    break reading
                }
                connection.heardFromPeer()
            } catch let error as WebSocketProtocolError {
                // The messages before the bad frame are answered first (see `caughtUp`).
                await connection.inbox.caughtUp(within: WebSocketReader.catchUpLimit)
                connection.protocolError(error)
                break reading
            } catch {
                connection.connectionEnded()
                break reading
            }
        }
        await connection.finishReading()
    }
}
