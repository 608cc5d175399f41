import CCourierOpenSSL

/// The ciphertext between OpenSSL and the socket, in buffers of our own: OpenSSL reads records
/// out of the bytes `recv` wrote (``received``), and writes its records where a flush sends them
/// from (``pending``). It reaches them through a BIO of ours (``makeBIO()``).
///
/// A pair of memory BIOs did this before at a cost: every byte received was copied into one,
/// which first zeroed the space it grew into (`BUF_MEM_grow_clean`), and every record sent was
/// copied out of the other into a fresh array: some 5 % of the CPU of a TLS download.
///
/// Used by its `TLSStream` only, on one thread at a time, as the stream itself is.
final class TLSRecordPipe {
    /// Ciphertext received and not yet taken by OpenSSL.
    var received = ReceiveBuffer()
    /// Records OpenSSL produced and nobody has sent yet.
    var pending: [UInt8] = []

    /// A BIO that reads from ``received`` and writes to ``pending``, for both of `SSL_set_bio`'s
    /// ends. It holds the pipe unretained: the stream owns the pipe and frees the BIO first.
    func makeBIO() -> OpaquePointer? {
        guard let method = TLSRecordPipe.method.pointer, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    /// OpenSSL takes up to `length` bytes; with none received it is told to retry after more arrive.
    private func give(_ bio: OpaquePointer, into destination: UnsafeMutablePointer<CChar>, length: Int) -> Int32 {
        let count = min(length, received.readableCount)
        guard count > 0 else {
            courier_BIO_set_retry_read(bio)
            return -1
        }
        received.withReadableBytes { bytes in
            UnsafeMutableRawPointer(destination).copyMemory(from: bytes.baseAddress!, byteCount: count)
        }
        received.skip(count)
        return Int32(count)
    }

    private func take(_ source: UnsafePointer<CChar>, length: Int) -> Int32 {
        source.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
            pending.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
        }
        return Int32(length)
    }

    private func control(_ command: Int32) -> Int {
        switch command {
        // OpenSSL flushes after each handshake flight; the stream sends `pending` itself.
        case BIO_CTRL_FLUSH: 1
        case BIO_CTRL_PENDING: received.readableCount
        case BIO_CTRL_WPENDING: pending.count
        default: 0
        }
    }

    /// Runs `body` on the BIO's pipe without retaining it (the stream keeps it alive): OpenSSL
    /// calls the BIO a dozen times per request, and a retain and release around each would be
    /// two atomic operations on every one.
    private static func withPipe<Result>(of bio: OpaquePointer, _ body: (TLSRecordPipe) -> Result) -> Result {
        Unmanaged<TLSRecordPipe>.fromOpaque(BIO_get_data(bio))._withUnsafeGuaranteedRef(body)
    }

    /// The BIO method, made once for the process. Safe to share: written once, then only
    /// read, by OpenSSL, from any thread.
    private struct Method: @unchecked Sendable {
        let pointer: OpaquePointer?
    }

    private static let method = Method(
        pointer: {
            guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "courier record pipe") else {
                return nil
            }
            BIO_meth_set_read(method) { bio, destination, length in
                guard let bio, let destination, length > 0 else { return 0 }
                courier_BIO_clear_retry_flags(bio)
                return TLSRecordPipe.withPipe(of: bio) { $0.give(bio, into: destination, length: Int(length)) }
            }
            BIO_meth_set_write(method) { bio, source, length in
                guard let bio, let source, length > 0 else { return 0 }
                courier_BIO_clear_retry_flags(bio)
                return TLSRecordPipe.withPipe(of: bio) { $0.take(source, length: Int(length)) }
            }
            BIO_meth_set_ctrl(method) { bio, command, _, _ in
                guard let bio else { return 0 }
                return TLSRecordPipe.withPipe(of: bio) { $0.control(command) }
            }
            return method
        }())
}
