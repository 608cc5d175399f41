import CourierCore
import CourierHTTP2
import CourierTransport

/// How a responder task answers one request: the scripted ``HTTP2Policy``, and for a normal
/// answer HEADERS, DATA within the client's windows, then trailers.
extension HTTP2ServerConnection {
    func respond(to request: RecordedRequest, on streamID: UInt32) async {
        let response = await server.response(to: request)
        do {
            switch response.http2Policy {
            case .respond where request.connectProtocol != nil && response.webSocket != nil:
                try await acceptWebSocket(request, response: response, on: streamID)
            case .respond:
                try await send(response, to: request, on: streamID)
                withState { $0.finishResponding(streamID) }
            case .resetAtStart(let code):
                reset(streamID, HTTP2ErrorCode(rawValue: code.rawValue))
            case .stallAfterHeaders:
                try await flushed(
                    withState {
                        $0.enqueueHeaders(head(of: response, for: request), streamID: streamID, endStream: false)
                    })
                try await Task.sleep(for: .seconds(86_400))
            case .noResponse:
                try await Task.sleep(for: .seconds(86_400))
            case .frames(let script):
                let writer = frameWriter(streamID: streamID)
                try await withTaskExecutorPreference(globalConcurrentExecutor) { try await script(writer) }
                try await Task.sleep(for: .seconds(86_400))
            }
        } catch {
            // Reset by the client, or the connection ended: the stream is gone either way.
        }
        if withState({ $0.isDrained }) { withState { _ = $0.close() } }
    }

    /// Answers a WebSocket's extended CONNECT (RFC 8441 §5) with 200 and runs the script's
    /// session on the stream; a CONNECT that is not a valid WebSocket handshake gets 400.
    private func acceptWebSocket(_ request: RecordedRequest, response: MockResponse, on streamID: UInt32) async throws {
        guard let script = response.webSocket else { return }
        do {
            try ServerWebSocketHandshake.validateExtendedConnect(
                protocol: request.connectProtocol, headers: request.headers)
        } catch {
            try await send(
                MockResponse(status: error.status, headers: error.headers, body: error.reason), to: request,
                on: streamID)
            withState { $0.finishResponding(streamID) }
            return
        }
        let answer = ServerWebSocketHandshake.answer(
            key: nil, requestHeaders: request.headers, subprotocol: script.subprotocol, deflate: script.deflate)
        var fields = HTTPHeaders([(":status", "200")])
        for field in answer.headers { fields.add(field.name.lowercased(), field.value) }
        var extra = response.headers
        for name in HTTP2Fields.connectionSpecificNames { extra.remove(name) }
        for field in extra { fields.add(field.name.lowercased(), field.value) }
        try await flushed(withState { $0.enqueueHeaders(fields, streamID: streamID, endStream: false) })
        let tunnel = HTTP2ServerTunnel(connection: self, streamID: streamID)
        let socket = ServerWebSocket(request: request, answer: answer, stream: tunnel, buffer: ReceiveBuffer())
        await withTaskCancellationHandler {
            await script.run(on: socket)
            await tunnel.finish(within: ServerWebSocket.closeTimeout)
        } onCancel: {
            tunnel.interrupt()
        }
    }

    /// The response head: `:status`, then the scripted fields without HTTP/1.1's connection
    /// fields, and a content-length when the body's length is known.
    private func head(of response: MockResponse, for request: RecordedRequest) -> HTTPHeaders {
        var headers = HTTPHeaders([(":status", String(response.status.code))])
        var fields = response.headers
        for name in HTTP2Fields.connectionSpecificNames { fields.remove(name) }
        if !fields.contains("Content-Length"), hasBody(response, for: request) {
            switch response.body {
            case .bytes(let bytes): fields["Content-Length"] = String(bytes.count)
            case .stream(let length, _): fields["Content-Length"] = length.map(String.init)
            }
        }
        for field in fields { headers.add(field.name, field.value) }
        return headers
    }

    private func hasBody(_ response: MockResponse, for request: RecordedRequest) -> Bool {
        request.method != .head && response.status.code != 204 && response.status.code != 304
    }

    private func send(_ response: MockResponse, to request: RecordedRequest, on streamID: UInt32) async throws {
        let trailers = response.trailers.map { trailers in
            var fields = trailers
            for name in HTTP2Fields.connectionSpecificNames { fields.remove(name) }
            return fields
        }
        let bodyless: Bool
        switch response.body {
        case .bytes(let bytes): bodyless = bytes.isEmpty || !hasBody(response, for: request)
        case .stream: bodyless = !hasBody(response, for: request)
        }
        let endsWithHead = bodyless && trailers == nil
        try await flushed(
            withState {
                $0.enqueueHeaders(head(of: response, for: request), streamID: streamID, endStream: endsWithHead)
            })
        if endsWithHead { return }
        if !bodyless {
            var sender = HTTP2BodySender(connection: self, streamID: streamID, throttle: response.throttle)
            switch response.body {
            case .bytes(let bytes):
                try await sender.send(ByteBuffer(bytes))
            case .stream(_, let producer):
                let box = HTTP2BodySenderBox(sender)
                let sink = BodyWriter { chunk in try await box.send(chunk) }
                try await withTaskExecutorPreference(globalConcurrentExecutor) { try await producer(sink) }
            }
        }
        if let trailers {
            try await flushed(withState { $0.enqueueHeaders(trailers, streamID: streamID, endStream: true) })
        } else {
            try await HTTP2BodySender(connection: self, streamID: streamID, throttle: nil).end()
        }
    }
}
