import Courier
import CourierTestServer
import Testing

extension ProcessWide {
    /// 256 MiB through each real proxy: the tunnel and the forwarding path stream without
    /// holding the body, and leave no descriptor behind.
    @Suite("Downloads through real proxies", .enabled(if: ProxyProcess.realProxiesInstalled))
    struct ProxyDownloadTests {
        static let size = 256 << 20
        static let chunk = [UInt8](repeating: 0x5A, count: 256 << 10)

        /// An origin that streams `size` bytes, over TLS when `secure`.
        static func origin(secure: Bool) async throws -> TestServer {
            let handler: TestServer.Handler = { _ in
                MockResponse(length: size) { writer in
                    for _ in 0..<(size / chunk.count) { try await writer.write(chunk) }
                }
            }
            guard secure else { return try await TestServer(handler: handler) }
            let identity = try HeldCertificate.leaf(issuedBy: ProxyTests.authority).identity
            return try await TestServer(tls: .init(identity: identity), protocols: [.http1_1], handler: handler)
        }

        @Test(
            "256 MiB through the proxy, over http:// and over https:// in a tunnel",
            arguments: [RealProxyTests.Kind.tinyproxy, .danteWithAuth], [false, true])
        func download(kind: RealProxyTests.Kind, secure: Bool) async throws {
            try await ProcessWide.warmUp()
            let (proxy, client) = try await RealProxyTests.start(kind)
            // After the proxy started: launching it opens descriptors Foundation keeps.
            let baseline = ProcessProbe.openDescriptorCount()
            try await withTimeout(.seconds(240)) {
                let origin = try await ProxyDownloadTests.origin(secure: secure)
                let response = try await client.send(HTTPRequest(url: origin.url("/big")))
                var received = 0
                for try await chunk in response.body { received += chunk.count }
                #expect(received == ProxyDownloadTests.size)
                await client.shutdown()
                await origin.shutdown()
            }
            #expect(ProcessProbe.openDescriptorCount() == baseline)
            await proxy.stop()
        }
    }
}
