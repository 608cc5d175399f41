import Courier
import CourierTestServer
import Testing

@Suite("Forms and multipart bodies")
struct FormAndMultipartTests {
    @Test("Form fields are urlencoded as browsers do", arguments: Transport.main)
    func form(transport: Transport) async throws {
        let form: FormBody = ["q": "swift & linux/ün", "a*b-c._d": "1+1=2 ~"]
        #expect(form.encoded == "q=swift+%26+linux%2F%C3%BCn&a*b-c._d=1%2B1%3D2+%7E")
        try await withTimeout {
            let server = try await transport.server { request in MockResponse(body: request.body) }
            let response = try await transport.client().send(
                HTTPRequest(method: .post, url: server.url("/"), body: .form(form)))
            #expect(try await response.body.string() == form.encoded)
            #expect(try await server.takeRequest().headers["Content-Type"] == "application/x-www-form-urlencoded")
            await server.shutdown()
        }
    }

    @Test(
        "Multipart parts — fields, bytes and a file streamed from disk — are parsed back by the server",
        arguments: Transport.main)
    func multipart(transport: Transport) async throws {
        let path = "/tmp/courier-multipart-\(UInt32.random(in: 0...UInt32.max))"
        let fileBytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(fileBytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withTimeout {
            let server = try await transport.server { _ in MockResponse(body: "stored") }
            let upload = MultipartBody([
                .field(name: "title", value: "Holiday \"2026\""),
                .data(name: "notes", filename: "notes.txt", contentType: "text/plain", bytes: Array("sunny".utf8)),
                .file(name: "photo", filename: "beach.bin", url: URL(fileURLWithPath: path)),
            ])
            #expect(upload.body.length == nil, "a file part has no length until read")
            let response = try await transport.client().send(
                HTTPRequest(method: .post, url: server.url("/upload"), body: upload.body))
            #expect(try await response.body.string() == "stored")
            let recorded = try await server.takeRequest()
            #expect(recorded.headers["Content-Type"] == "multipart/form-data; boundary=\(upload.boundary)")
            let parts = try #require(recorded.multipart)
            #expect(parts.count == 3)
            #expect(parts[0].name == "title")
            #expect(parts[0].bodyString == "Holiday \"2026\"")
            #expect(parts[0].headers["Content-Disposition"] == "form-data; name=\"title\"")
            #expect(parts[1].filename == "notes.txt")
            #expect(parts[1].headers["Content-Type"] == "text/plain")
            #expect(parts[1].bodyString == "sunny")
            #expect(parts[2].name == "photo")
            #expect(parts[2].body == fileBytes)
            await server.shutdown()
        }
    }

    @Test("A multipart body of bytes has a Content-Length and survives a 307", arguments: Transport.main)
    func sizedAndReplayable(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            server.enqueue(MockResponse(status: HTTPStatus(code: 307), headers: ["Location": "/again"]))
            server.enqueue(MockResponse(body: "ok"))
            let upload = MultipartBody([
                .field(name: "a", value: "1"), .data(name: "b", filename: "b", bytes: [1, 2, 3]),
            ])
            let length = try #require(upload.body.length)
            #expect(
                try await transport.client().send(HTTPRequest(method: .post, url: server.url("/"), body: upload.body))
                    .body
                    .string() == "ok")
            _ = try await server.takeRequest()
            let replayed = try await server.takeRequest()
            #expect(replayed.headers["Content-Length"] == String(length))
            #expect(replayed.body.count == length)
            #expect(replayed.multipart?.count == 2)
            await server.shutdown()
        }
    }

    @Test(
        "A part header with CR or LF fails the call as invalidRequest before anything is sent",
        arguments: Transport.main)
    func partHeaderInjection(transport: Transport) async throws {
        try await withTimeout {
            let server = try await transport.server()
            let forged = MultipartBody([
                .init(headers: ["X-Note": "a\r\n\r\n--forged"], content: .string("x"))
            ])
            let error = await #expect(throws: HTTPClientError.self) {
                try await transport.client().send(HTTPRequest(method: .post, url: server.url("/"), body: forged.body))
            }
            #expect(error?.kind == .invalidRequest)
            #expect(server.requestCount == 0)
            await server.shutdown()
        }
    }
}
