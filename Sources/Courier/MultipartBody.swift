import CourierCore
import CourierTransport

/// A `multipart/form-data` body (RFC 7578), streamed part by part: a file part is read from disk
/// as it is sent, never held in memory.
///
/// ```swift
/// let upload = MultipartBody([
///     .field(name: "title", value: "Holiday"),
///     .file(name: "photo", filename: "beach.jpg", contentType: "image/jpeg", url: photoURL),
/// ])
/// let request = HTTPRequest(method: .post, url: url, body: upload.body)
/// ```
public struct MultipartBody: Sendable {
    /// One part: its header fields and its content.
    public struct Part: Sendable {
        public var headers: HTTPHeaders
        public var content: HTTPRequest.Body

        public init(headers: HTTPHeaders, content: HTTPRequest.Body) {
            self.headers = headers
            self.content = content
        }

        /// A plain form field.
        public static func field(name: String, value: String) -> Part {
            Part(headers: ["Content-Disposition": disposition(name: name, filename: nil)], content: .string(value))
        }

        /// A file's contents, read from disk as the part is sent.
        public static func file(
            name: String, filename: String, contentType: String = "application/octet-stream", url: URL
        ) -> Part {
            Part(
                headers: [
                    "Content-Disposition": disposition(name: name, filename: filename), "Content-Type": contentType,
                ],
                content: .file(url)
            )
        }

        /// Bytes presented as a file.
        public static func data(
            name: String, filename: String, contentType: String = "application/octet-stream", bytes: [UInt8]
        ) -> Part {
            Part(
                headers: [
                    "Content-Disposition": disposition(name: name, filename: filename), "Content-Type": contentType,
                ],
                content: .bytes(bytes)
            )
        }

        /// `form-data; name="…"; filename="…"`, with `"`, CR and LF percent-encoded as HTML does.
        static func disposition(name: String, filename: String?) -> String {
            func quoted(_ text: String) -> String {
                "\"" + text.replacing("\"", with: "%22").replacing("\r", with: "%0D").replacing("\n", with: "%0A")
                    + "\""
            }
            return "form-data; name=" + quoted(name) + (filename.map { "; filename=" + quoted($0) } ?? "")
        }
    }

    public var parts: [Part]
    /// The delimiter between parts; random unless given.
    public let boundary: String

    public init(_ parts: [Part], boundary: String = MultipartBody.randomBoundary()) {
        self.parts = parts
        self.boundary = boundary
    }

    /// 32 random letters and digits after a fixed prefix: no part will contain it by chance.
    public static func randomBoundary() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return "courier-" + String((0..<32).map { _ in alphabet.randomElement()! })
    }

    public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// The body to send: its length is known when every part's is; otherwise it goes chunked.
    public var body: HTTPRequest.Body {
        // A part's header is written inside the body, where the serializer's checks never see
        // it: a CR or LF in one would forge part boundaries.
        do throws(HTTPClientError) {
            for part in parts { try part.headers.validate() }
        } catch {
            return HTTPRequest.Body(storage: .failed(error), contentType: contentType, length: nil)
        }
        let framing = parts.map(frame)
        let closing = ByteBuffer(string: "--\(boundary)--\r\n")
        var length: Int? = closing.count
        for (part, head) in zip(parts, framing) {
            guard let content = part.content.length, let total = length else {
                length = nil
                break
            }
            length = total + head.count + content + 2
        }
        let parts = self.parts
        return HTTPRequest.Body(
            storage: .stream(
                ChunkStream(isReplayable: parts.allSatisfy(\.content.isReplayable)) {
                    MultipartReader(parts: parts, heads: framing, closing: closing)
                }
            ),
            contentType: contentType,
            length: length
        )
    }

    /// The delimiter and header fields that go before a part's content.
    private func frame(_ part: Part) -> ByteBuffer {
        var text = "--\(boundary)\r\n"
        var headers = part.headers
        if !headers.contains("Content-Type"), let type = part.content.contentType, !type.hasPrefix("text/plain") {
            headers["Content-Type"] = type
        }
        for field in headers.fields { text += "\(field.name): \(field.value)\r\n" }
        return ByteBuffer(string: text + "\r\n")
    }
}

/// Produces a multipart body part by part, pulling each part's content from its own reader.
private final class MultipartReader: ChunkReader {
    private let parts: [MultipartBody.Part]
    private let heads: [ByteBuffer]
    private let closing: ByteBuffer
    private var index = 0
    private var content: (any ChunkReader)?
    private var done = false

    init(parts: [MultipartBody.Part], heads: [ByteBuffer], closing: ByteBuffer) {
        self.parts = parts
        self.heads = heads
        self.closing = closing
    }

    func next() async throws -> ByteBuffer? {
        while !done {
            if let reader = content {
                if let chunk = try await reader.next() { return chunk }
                content = nil
                index += 1
                return ByteBuffer(string: "\r\n")
            }
            guard index < parts.count else {
                done = true
                return closing
            }
            content = try await MultipartReader.reader(for: parts[index].content)
            return heads[index]
        }
        return nil
    }

    private static func reader(for content: HTTPRequest.Body) async throws -> any ChunkReader {
        switch content.storage {
        case .bytes(let bytes): OneChunk(bytes)
        case .stream(let stream): stream.makeReader()
        case .file(let url): try await FileChunkReader(url: url)
        case .failed(let error): throw error
        }
    }
}

private final class OneChunk: ChunkReader {
    private var chunk: ByteBuffer?

    init(_ chunk: ByteBuffer) {
        self.chunk = chunk.isEmpty ? nil : chunk
    }

    func next() async throws -> ByteBuffer? {
        defer { chunk = nil }
        return chunk
    }
}
