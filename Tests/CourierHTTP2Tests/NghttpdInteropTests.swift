import CourierCore
import CourierTestServer
import CourierTransport
import Foundation
import Glibc
import Testing

@testable import CourierHTTP2

/// The client connection against nghttpd, h2c and TLS with ALPN h2.
@Suite("HTTP/2 interop with nghttpd", .enabled(if: Nghttpd.isInstalled), .serialized)
struct NghttpdInteropTests {
    static let small = Array("hello from nghttpd\n".utf8)
    static let large = [UInt8](unsafeUninitializedCapacity: 64 << 20) { buffer, count in
        for index in 0..<buffer.count { buffer[index] = UInt8(truncatingIfNeeded: index &* 31 >> 3) }
        count = buffer.count
    }

    func route(_ port: Int, scheme: String) -> Route {
        Route(
            address: Address(scheme: scheme, host: "127.0.0.1", port: port),
            socketAddress: ResolvedAddress(ip: "127.0.0.1", port: port))
    }

    /// Status and body; a body as large as `expected` is compared chunk by chunk instead of kept.
    func fetch(
        _ connection: HTTP2Connection, _ path: String, scheme: String = "http", port: Int, expected: [UInt8]? = nil
    ) async throws -> (Int, [UInt8]) {
        let codec = connection.makeCodec() as! HTTP2StreamCodec
        let request = HTTPRequest(url: URL(string: "\(scheme)://127.0.0.1:\(port)\(path)")!)
        try await codec.writeRequestHead(request, body: nil, endOfRequest: true, timeout: IOTimeout(.seconds(20)))
        let head = try await codec.readResponseHead(timeout: IOTimeout(.seconds(20)), returningContinue: false)
        guard try codec.openResponseBody(for: request, head: head, requestComplete: true) else {
            return (head.status.code, [])
        }
        guard let expected else { return (head.status.code, try await codec.readAll(timeout: IOTimeout(.seconds(20)))) }
        var offset = 0
        while let chunk = try await codec.readResponseBody(timeout: IOTimeout(.seconds(20))) {
            let same = chunk.withUnsafeBytes { bytes in
                expected.withUnsafeBytes { all in
                    offset + bytes.count <= all.count
                        && memcmp(bytes.baseAddress!, all.baseAddress! + offset, bytes.count) == 0
                }
            }
            guard same else { return (head.status.code, []) }
            offset += chunk.count
        }
        return (head.status.code, offset == expected.count ? expected : [])
    }

    /// An HTTP/2 connection over `stream` (TLS when there is a `handshake`, else h2c), run
    /// through ``exercise(_:scheme:port:)`` and closed.
    func exercise(over stream: any ByteStream, handshake: TLSHandshake?, port: Int) async throws {
        let scheme = handshake == nil ? "http" : "https"
        let connection = HTTP2Connection(
            stream: stream, route: route(port, scheme: scheme), tlsHandshake: handshake,
            configuration: HTTP2Configuration()
        ) { _, _ in }
        try await connection.start(timeout: IOTimeout(.seconds(5)))
        try await exercise(connection, scheme: scheme, port: port)
        connection.close()
    }

    /// 100 streams at once, then a 64 MiB download while other streams come and go.
    func exercise(_ connection: HTTP2Connection, scheme: String, port: Int) async throws {
        #expect(connection.maxConcurrentStreams == 100)
        let results = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for _ in 0..<100 { group.addTask { try await fetch(connection, "/small", scheme: scheme, port: port) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 100)
        #expect(results.allSatisfy { $0.0 == 200 && $0.1 == NghttpdInteropTests.small })
        let start = ContinuousClock.now
        async let download = fetch(connection, "/large", scheme: scheme, port: port, expected: Self.large)
        for _ in 0..<20 {
            let (status, body) = try await fetch(connection, "/small", scheme: scheme, port: port)
            #expect(status == 200 && body == NghttpdInteropTests.small)
        }
        let (status, body) = try await download
        #expect(status == 200)
        #expect(body.count == 64 << 20, "the 64 MiB body arrived whole and equal")
        print("nghttpd \(scheme): 64 MiB in \(ContinuousClock.now - start)")
        #expect(try await fetch(connection, "/missing", scheme: scheme, port: port).0 == 404)
    }

    @Test func cleartextH2C() async throws {
        let server = try await Nghttpd(files: ["small": Self.small, "large": Self.large], tls: nil)
        try await server.serving {
            try await withTimeout(.seconds(60)) {
                try await exercise(over: try await server.connect(), handshake: nil, port: server.port)
            }
        }
    }

    @Test func tlsWithALPN() async throws {
        let authority = try HeldCertificate.authority()
        let leaf = try HeldCertificate.leaf(hosts: ["127.0.0.1"], issuedBy: authority)
        let server = try await Nghttpd(files: ["small": Self.small, "large": Self.large], tls: leaf)
        try await server.serving {
            try await withTimeout(.seconds(60)) {
                var configuration = TLSConfiguration()
                configuration.trustRoots = [authority.certificate]
                let context = try await TLSContextCache().context(for: configuration, applicationProtocols: ["h2"])
                let socket = try await server.connect()
                let (tls, handshake) = try await withTaskExecutorPreference(socket.reactor) {
                    let tls = try TLSStream(socket: socket, context: context)
                    return (
                        tls, try await tls.connect(host: "127.0.0.1", port: server.port, deadline: .now + .seconds(5))
                    )
                }
                #expect(handshake.applicationProtocol == "h2")
                try await exercise(over: tls, handshake: handshake, port: server.port)
            }
        }
    }
}
