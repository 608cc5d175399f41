import CourierCore
import CourierHTTP2

/// What the server does with each frame the client sends (RFC 9113 §5.1, §6).
extension HTTP2ServerConnection {
    func handle(_ frame: HTTP2Frame, _ reader: inout HTTP2ConnectionReader) async throws {
        let streamID = frame.streamID
        switch frame.payload {
        case .settings(let settings):
            try withState { (state) throws(HTTP2ConnectionFailure) in try state.applyPeerSettings(settings) }
            acknowledgeSettings()
        case .settingsAck:
            reader.settingsAcknowledgedByClient()
        case .ping(let opaque, let ack):
            guard !ack, !options.isSilent else { return }
            withState { $0.enqueue(HTTP2Frame(streamID: 0, payload: .ping(opaque, ack: true))) }
        case .windowUpdate(let increment):
            let overflowed = try withState { (state) throws(HTTP2ConnectionFailure) in
                try state.windowUpdate(streamID: streamID, increment: increment)
            }
            if let overflowed { reset(overflowed, .flowControlError) }
        case .headers(let block, let endStream, _, _):
            let fields = try reader.decode(block)
            try receiveHeaders(fields, streamID: streamID, endStream: endStream)
        case .data(let bytes, let endStream, let padding):
            try receiveData(
                bytes, flowControlled: bytes.count + (padding.map { Int($0) + 1 } ?? 0), streamID: streamID,
                endStream: endStream)
        case .rstStream(let code):
            server.record(HTTP2ErrorFrame(.rstStream, streamID: streamID, code: code.rawValue))
            let idle = withState { $0.lastClientStreamID < streamID }
            guard !idle else {
                throw HTTP2ConnectionFailure(code: .protocolError, reason: "RST_STREAM on idle stream \(streamID)")
            }
            withState { $0.removeStream(streamID) }?.cancel()
        case .priority:
            break
        case .pushPromise:
            throw HTTP2ConnectionFailure(code: .protocolError, reason: "a client sent PUSH_PROMISE")
        case .goAway(_, let code, _):
            server.record(HTTP2ErrorFrame(.goAway, streamID: 0, code: code.rawValue))
            withState { $0.clientWentAway = true }
        }
    }

    private func acknowledgeSettings() {
        guard !options.isSilent else { return }
        guard let delay = options.settingsAckDelay else {
            withState { $0.enqueue(HTTP2Frame(streamID: 0, payload: .settingsAck)) }
            return
        }
        Task { [self] in
            try await Task.sleep(for: delay)
            withState { $0.enqueue(HTTP2Frame(streamID: 0, payload: .settingsAck)) }
        }
    }

    /// A request's HEADERS, which opens a stream, or its trailers, which end one.
    private func receiveHeaders(_ fields: HTTPHeaders, streamID: UInt32, endStream: Bool) throws(HTTP2ConnectionFailure)
    {
        if let trailing = withState({ $0.streams[streamID]?.isReceiving }) {
            guard trailing, endStream else { return reset(streamID, trailing ? .protocolError : .streamClosed) }
            if withState({ $0.streams[streamID]?.tunnel != nil }) {
                return withState { $0.receiveTunnel(ByteBuffer(), endStream: true, on: streamID) }
            }
            withState { state in
                for field in fields where !field.name.hasPrefix(":") {
                    state.streams[streamID]?.head.headers.add(field.name, field.value)
                }
            }
            return requestComplete(streamID)
        }
        let opening = try withState { (state) throws(HTTP2ConnectionFailure) -> Bool? in
            guard streamID % 2 == 1, streamID > state.lastClientStreamID else {
                throw HTTP2ConnectionFailure(
                    code: .protocolError, reason: "HEADERS on stream \(streamID), which cannot open a stream")
            }
            state.lastClientStreamID = streamID
            if let last = state.goAwayLastStreamID, streamID > last { return nil }
            return state.streams.values.count { !$0.isClosedTunnel } < options.maxConcurrentStreams
        }
        guard let opening else { return }
        guard opening else { return reset(streamID, .refusedStream) }
        guard let head = HTTP2RequestHead(fields, allowsProtocol: options.enablesConnectProtocol) else {
            return reset(streamID, .protocolError)
        }
        let resetCode = server.takeHTTP2ResetAtStart()
        withState { state in
            state.streams[streamID] = HTTP2ServerStream(
                head: head, endStream: endStream, sendWindow: state.peerInitialWindowSize,
                receiveWindow: options.initialWindowSize)
            if head.connectProtocol != nil {
                state.streams[streamID]!.tunnel = HTTP2ServerTunnelInbound(ended: endStream)
            }
            state.openedStreams += 1
            if state.openedStreams == options.goAwayAfterStreams {
                state.goAwayLastStreamID = streamID
                state.enqueue(
                    HTTP2Frame(
                        streamID: 0,
                        payload: .goAway(
                            lastStreamID: streamID, HTTP2ErrorCode(rawValue: options.goAwayCode.rawValue),
                            debugData: ByteBuffer())))
            }
        }
        if let resetCode {
            record(streamID)
            reset(streamID, HTTP2ErrorCode(rawValue: resetCode.rawValue))
        } else if head.connectProtocol != nil {
            // Extended CONNECT (RFC 8441): the head is the whole request; DATA that follows is
            // the tunnelled protocol's.
            startResponder(streamID)
        } else if endStream {
            requestComplete(streamID)
        }
    }

    /// A DATA frame: checked against both receive windows, recorded, and (unless the options
    /// withhold it) its credit returned at once with WINDOW_UPDATE.
    private func receiveData(
        _ bytes: ByteBuffer, flowControlled: Int, streamID: UInt32, endStream: Bool
    )
        throws(HTTP2ConnectionFailure)
    {
        let sendsUpdates = options.sendsWindowUpdates
        var tunnelled = false
        let outcome = try withState { (state) throws(HTTP2ConnectionFailure) -> HTTP2ErrorCode?? in
            guard flowControlled <= state.connectionReceiveWindow else {
                throw HTTP2ConnectionFailure(code: .flowControlError, reason: "DATA beyond the connection window")
            }
            guard streamID <= state.lastClientStreamID else {
                throw HTTP2ConnectionFailure(code: .protocolError, reason: "DATA on idle stream \(streamID)")
            }
            state.connectionReceiveWindow -= flowControlled
            if sendsUpdates && flowControlled > 0 {
                state.connectionReceiveWindow += flowControlled
                state.enqueue(HTTP2Frame(streamID: 0, payload: .windowUpdate(increment: UInt32(flowControlled))))
            }
            guard let stream = state.streams[streamID] else { return .some(.streamClosed) }
            guard stream.isReceiving else { return .some(.streamClosed) }
            guard flowControlled <= stream.receiveWindow else { return .some(.flowControlError) }
            state.streams[streamID]!.receiveWindow -= flowControlled
            if stream.tunnel != nil {
                // The tunnel's reader returns the window as it takes the bytes; padding at once.
                tunnelled = true
                let padding = flowControlled - bytes.count
                if sendsUpdates && padding > 0 && !endStream {
                    state.streams[streamID]!.receiveWindow += padding
                    state.enqueue(HTTP2Frame(streamID: streamID, payload: .windowUpdate(increment: UInt32(padding))))
                }
                state.receiveTunnel(bytes, endStream: endStream, on: streamID)
                return .some(nil)
            }
            if stream.body.count < HTTP2ServerConnection.maxRecordedBody {
                bytes.withUnsafeBytes { state.streams[streamID]!.body.append(contentsOf: $0) }
            }
            if sendsUpdates && flowControlled > 0 && !endStream {
                state.streams[streamID]!.receiveWindow += flowControlled
                state.enqueue(HTTP2Frame(streamID: streamID, payload: .windowUpdate(increment: UInt32(flowControlled))))
            }
            return .some(nil)
        }
        switch outcome {
        case .none: return
        case .some(.some(let code)):
            // DATA on a stream the server already closed is expected after RST_STREAM: ignored.
            if code != .streamClosed || withState({ $0.streams[streamID] != nil }) { reset(streamID, code) }
        case .some(.none):
            if endStream && !tunnelled { requestComplete(streamID) }
        }
    }

    /// The request on `streamID` is whole: it is recorded and its responder starts.
    private func requestComplete(_ streamID: UInt32) {
        withState { state in
            guard let stream = state.streams[streamID] else { return }
            switch stream.phase {
            case .open: state.streams[streamID]!.phase = .halfClosedRemote
            case .halfClosedLocal: state.removeStream(streamID)
            case .halfClosedRemote: break
            }
        }
        startResponder(streamID)
    }

    /// Records the request on `streamID` and starts the task that answers it.
    private func startResponder(_ streamID: UInt32) {
        guard let request = record(streamID) else { return }
        let responder = Task(executorPreference: stream.reactor) { [self] in
            await respond(to: request, on: streamID)
        }
        withState { $0.streams[streamID]?.responder = responder }
    }

    /// Records the request on `streamID` as it stands, with the next sequence number.
    @discardableResult
    private func record(_ streamID: UInt32) -> RecordedRequest? {
        let request = withState { state -> RecordedRequest? in
            guard let stream = state.streams[streamID] else { return nil }
            defer { state.nextSequenceNumber += 1 }
            return RecordedRequest(
                method: stream.head.method, target: stream.head.target, version: .http2, headers: stream.head.headers,
                body: stream.body, sequenceNumber: state.nextSequenceNumber, connectionIndex: index,
                connectProtocol: stream.head.connectProtocol)
        }
        if let request { server.record(request) }
        return request
    }
}
