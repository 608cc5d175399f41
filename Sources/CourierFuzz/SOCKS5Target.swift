import CourierCore
import CourierTransport

/// `SOCKS5Handshake` against whatever a proxy answers (RFC 1928, with RFC 1929 credentials).
///
/// Input: a control byte (bit 0: with a username and password; bits 1–2: the destination is a
/// host name, an IPv4 or an IPv6 address), a segmentation byte, then the proxy's bytes.
///
/// Invariants: what the client sends, how the handshake ends (still waiting, established with
/// the same bound address, or the same error) and how many of the proxy's bytes it used do not
/// depend on how they were cut into reads; it never uses more bytes than it was given; it sends
/// the greeting, then the credentials only when it offered them and the proxy chose them, then
/// exactly one CONNECT for the destination; every failure is a `.proxy` error.
enum SOCKS5Target {
    private enum End: Equatable {
        case waiting
        case established(ResolvedAddress)
        case failed(HTTPClientError.Kind)
    }

    private struct Run: Equatable {
        var sent: [[UInt8]] = []
        var end = End.waiting
        var consumed = 0
    }

    private static let credentials = Proxy.Credentials(username: "user", password: "secret")

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(data)
        let control = input.byte()
        let cuts = input.byte()
        let host: String
        switch control >> 1 & 3 {
        case 0: host = "origin.example"
        case 1: host = "192.0.2.7"
        default: host = "2001:db8::7"
        }
        let withCredentials = control & 1 != 0
        let stream = Array(input.rest())

        let whole = handshake(host, withCredentials, stream, pieces: [stream.count])
        var segmentation = Segmentation(control: cuts, length: stream.count)
        let split = handshake(host, withCredentials, stream, pieces: segmentation.pieces(of: stream.count))
        require(
            whole == split,
            "the handshake depends on how the proxy's bytes were cut: whole \(whole), in pieces \(split)")
        require(whole.consumed <= stream.count, "used \(whole.consumed) of \(stream.count) bytes")

        var expected = try! SOCKS5Handshake(
            host: host, port: 443, credentials: withCredentials ? credentials : nil, proxyName: "fuzz")
        let greeting = expected.start()
        require(
            whole.sent.first == greeting, "the first bytes sent are \(whole.sent.first.map { escaped($0) } ?? "none")")
        let later = whole.sent.dropFirst()
        let connects = later.filter { $0.starts(with: [5, 1, 0]) }
        let authentications = later.filter { $0.first == 1 }
        require(
            connects.count <= 1 && authentications.count <= (withCredentials ? 1 : 0)
                && connects.count + authentications.count == later.count,
            "sent \(whole.sent.map { escaped($0) })")
        if case .established = whole.end {
            require(connects.count == 1 && later.last == connects.first, "established without a CONNECT last")
        }
        if case .failed(let kind) = whole.end {
            guard case .proxy = kind else {
                fatalError("Invariant violated: a SOCKS5 failure of kind \(kind), not .proxy")
            }
        }
    }

    /// Feeds the proxy's bytes in `pieces`, answering as the tunnel code does: whatever the
    /// handshake says to send is recorded, and unused bytes wait for the next piece.
    private static func handshake(_ host: String, _ withCredentials: Bool, _ bytes: [UInt8], pieces: [Int]) -> Run {
        var handshake = try! SOCKS5Handshake(
            host: host, port: 443, credentials: withCredentials ? credentials : nil, proxyName: "fuzz")
        var run = Run()
        run.sent.append(handshake.start())
        var buffer: [UInt8] = []
        var offset = 0
        for piece in pieces {
            buffer += bytes[offset..<(offset + piece)]
            offset += piece
            while true {
                let step: (action: SOCKS5Handshake.Action, consumed: Int)
                do {
                    step = try handshake.receive(buffer)
                } catch {
                    run.end = .failed(error.kind)
                    return run
                }
                require(step.consumed <= buffer.count, "used \(step.consumed) of \(buffer.count) buffered bytes")
                buffer.removeFirst(step.consumed)
                run.consumed += step.consumed
                switch step.action {
                case .needMore:
                    require(step.consumed == 0, "asked for more after using \(step.consumed) bytes")
                case .send(let message):
                    run.sent.append(message)
                    continue
                case .established(let bound):
                    run.end = .established(bound)
                    return run
                }
                break
            }
        }
        return run
    }
}
