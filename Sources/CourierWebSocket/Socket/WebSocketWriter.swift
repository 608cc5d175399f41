import CourierCore
import CourierTransport
import Synchronization

/// Writes one WebSocket's frames, in the order asked, from one task pinned to the socket's
/// reactor: the only writer of the stream, and the owner of the compressor, whose context
/// (RFC 7692 context takeover) must see messages in the order they go out. A message that is
/// costly to encode (see ``WebSocketMessageEncoder/isCostly(_:)``) is compressed and masked on
/// the cooperative pool, so it does not hold up the reactor's other connections.
///
/// `send` returns once the frames are with the kernel, so a sender waits for its own message and
/// no queue of messages builds up behind a slow peer; a peer that stops reading makes the write
/// time out after `writeTimeout`, which fails the socket. Control frames the reader owes the peer
/// (pongs, the close reply) are posted without waiting; ``pendingControlFrames`` lets the reader
/// refuse a ping flood from a peer that does not read.
final class WebSocketWriter: Sendable {
    enum Job: Sendable {
        case message(WebSocketMessage)
        case control(WebSocketOpcode, ByteBuffer)
        case close(WebSocketClosePayload)
    }

    private typealias Queued = (job: Job, done: CheckedContinuation<Void, any Error>?)

    private let jobs: AsyncStream<Queued>.Continuation
    private let task: Task<Void, Never>
    private let pending = ControlCount()

    /// Shared by the writer's task and the posters.
    private final class ControlCount: Sendable {
        let value = Atomic<Int>(0)
    }

    /// `failed` hears of the first write that failed; later jobs fail with the same error.
    init(
        stream: any ByteStream, deflate: PerMessageDeflateParameters?, writeTimeout: Duration?,
        failed: @escaping @Sendable (any Error) -> Void
    ) {
        let (queue, jobs) = AsyncStream<Queued>.makeStream()
        self.jobs = jobs
        let pending = self.pending
        task = Task(executorPreference: stream.reactor) {
            var encoder = WebSocketMessageEncoder(role: .client, deflate: deflate)
            var failure: (any Error)?
            var closeSent = false
            for await (job, done) in queue {
                if case .control = job { pending.value.subtract(1, ordering: .relaxed) }
                if let failure {
                    done?.resume(throwing: failure)
                    continue
                }
                // RFC 6455 §5.5.1: no data frame after our close frame. A sender that checked the
                // connection was open before a close got queued ahead of its message ends here.
                if closeSent, case .message = job {
                    done?.resume(throwing: WebSocketWriter.closed)
                    continue
                }
                let bytes: [UInt8]
                switch job {
                case .message(let message) where encoder.isCostly(message):
                    bytes = await withTaskExecutorPreference(globalConcurrentExecutor) { encoder.encode(message) }
                case .message(let message): bytes = encoder.encode(message)
                case .control(let opcode, let payload): bytes = encoder.encodeControl(opcode, payload: payload)
                case .close(let payload):
                    bytes = encoder.encodeClose(payload)
                    closeSent = true
                }
                do {
                    try await stream.write(ByteBuffer(bytes), deadline: writeTimeout.map { .now + $0 })
                    done?.resume()
                } catch {
                    let error = WebSocketWriter.failure(error, timeout: writeTimeout)
                    failure = error
                    failed(error)
                    done?.resume(throwing: error)
                }
            }
        }
    }

    /// Pongs and other control frames posted and not written yet.
    var pendingControlFrames: Int { pending.value.load(ordering: .relaxed) }

    /// Writes `job`'s frames; returns when they are with the kernel.
    func send(_ job: Job) async throws {
        try await withCheckedThrowingContinuation { continuation in
            if case .terminated = jobs.yield((job, continuation)) {
                continuation.resume(throwing: WebSocketWriter.closed)
            }
        }
    }

    /// Queues `job` without waiting for it.
    func post(_ job: Job) {
        if case .control = job { pending.value.add(1, ordering: .relaxed) }
        jobs.yield((job, nil))
    }

    /// Writes what is queued, then stops; returns when the last write has ended.
    func finish() async {
        jobs.finish()
        await task.value
    }

    static let closed = HTTPClientError(.connectionClosed, "The WebSocket is closed; nothing more can be sent.")

    private static func failure(_ error: any Error, timeout: Duration?) -> any Error {
        switch error {
        case ReactorError.timedOut:
            HTTPClientError(
                .timeout(.write), "Timed out writing to the WebSocket (writeTimeout \(timeout.map { "\($0)" } ?? "")).")
        case let error as HTTPClientError: error
        default: HTTPClientError(.connectionReset, "Writing to the WebSocket failed: \(error).")
        }
    }
}
