import CourierCore
import CourierTransport
import Glibc

/// Acts out the chaos plan for one request on its connection: sends the response, or the part
/// of it the fault allows, then keeps, closes, resets or stalls the connection as planned.
struct ChaosResponder {
    let chaos: TestServer.Chaos
    let socket: Socket
    /// The socket, or TLS over it.
    let stream: any ByteStream

    /// Answers `request`; returns whether the connection stays open for the next one. Throws
    /// when the client has gone or a stall reaches its limit, which ends the connection too.
    func respond(to request: RecordedRequest) async throws -> Bool {
        let plan = chaos.plan(for: request.target)
        let wire = ChaosWire(plan: plan, payload: chaos.body(of: plan), sendsBody: request.method != .head)
        switch plan.fault {
        case .none:
            try await send(wire, 0..<wire.count)
            return true
        case .closeAfterResponse, .corrupt:
            try await send(wire, 0..<wire.count)
            return false
        case .trickle(let pieceSize, let pieces, let pause):
            var offset = 0
            for _ in 0..<pieces where offset < wire.count {
                let end = min(offset + pieceSize, wire.count)
                try await send(wire, offset..<end)
                offset = end
                try await Task.sleep(for: pause)
            }
            try await send(wire, offset..<wire.count)
            return true
        case .reset(let point):
            try await send(wire, 0..<wire.offset(of: point))
            reset()
            return false
        case .stall(let point):
            try await send(wire, 0..<wire.offset(of: point))
            try await waitForClientToClose()
            return false
        case .truncate(let point):
            try await send(wire, 0..<wire.offset(of: point))
            return false
        }
    }

    private func send(_ wire: ChaosWire, _ range: Range<Int>) async throws {
        guard !range.isEmpty else { return }
        let (head, body) = wire.slice(range)
        try await stream.write(head, body, deadline: nil)
    }

    /// Resets the connection now: connecting a TCP socket to `AF_UNSPEC` makes Linux disconnect
    /// it with an RST and drop whatever the kernel has not sent yet, as `SO_LINGER` 0 and a close
    /// would, but leaves the descriptor to its owner. Nothing written afterwards reaches the
    /// client, not even the `close_notify` that closing a TLS stream sends, which would turn the
    /// reset into a clean end of stream.
    private func reset() {
        var unspecified = sockaddr()
        unspecified.sa_family = sa_family_t(AF_UNSPEC)
        _ = connect(socket.fd, &unspecified, socklen_t(MemoryLayout<sockaddr>.size))
    }

    /// Reads and drops whatever the client sends until it closes the connection; throws at the
    /// stall limit. Reading, rather than sleeping, is what notices the client leaving, so a
    /// stalled connection does not outlive the call that gave up on it.
    private func waitForClientToClose() async throws {
        var scratch = ReceiveBuffer(initialReadSize: 1 << 10)
        let deadline = ContinuousClock.now + chaos.stallLimit
        while try await stream.read(into: &scratch, deadline: deadline) > 0 {
            scratch.skip(scratch.readableCount)
        }
    }
}
