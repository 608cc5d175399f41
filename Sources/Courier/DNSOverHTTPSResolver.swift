public import CourierCore
public import CourierTransport
public import FoundationEssentials

/// A `DNSResolver` that asks a DNS-over-HTTPS server (RFC 8484) through an `HTTPClient`, so
/// that name lookups get the client's TLS, HTTP/2 and connection reuse.
///
/// A and AAAA queries go out in parallel, each an `application/dns-message` request, GET (the
/// query in the `dns` parameter, base64url) or POST, with a DNS ID of 0 so that HTTP caches may
/// share answers. Answers are kept for their TTL. The server's own host name is resolved from
/// `bootstrapAddresses` when given, so reaching the resolver never needs a resolver; otherwise
/// by the client's own resolver, which must not be this one.
///
/// ```swift
/// let doh = DNSOverHTTPSResolver(
///     url: URL(string: "https://dns.example/dns-query")!, bootstrapAddresses: ["192.0.2.53"])
/// var configuration = HTTPClient.Configuration()
/// configuration.dnsResolver = doh
/// let client = HTTPClient(configuration: configuration)
/// ```
public struct DNSOverHTTPSResolver: DNSResolver {
    /// How queries travel (RFC 8484 §4.1).
    public enum Method: Sendable {
        /// `GET url?dns=<base64url query>`: cacheable by HTTP caches.
        case get
        /// `POST url` with the query as the body.
        case post
    }

    public let url: URL
    public let method: Method
    /// Whether AAAA records are asked for as well as A records.
    public let includeIPv6: Bool
    private let client: HTTPClient
    private let cache: DNSAnswerCache
    /// How long a useful A answer waits for the AAAA one (``defaultResolutionDelay``).
    private let resolutionDelay: Duration

    /// - Parameters:
    ///   - url: the server's DoH endpoint, such as `https://dns.example/dns-query`.
    ///   - bootstrapAddresses: the server's IP addresses, so that its host name needs no lookup.
    ///   - client: the client that carries the queries (a new default one if omitted); its
    ///     pool, TLS settings and interceptors apply.
    public init(
        url: URL, bootstrapAddresses: [String] = [], method: Method = .get, includeIPv6: Bool = true,
        client: HTTPClient = HTTPClient()
    ) {
        self.init(
            url: url, bootstrapAddresses: bootstrapAddresses, method: method, includeIPv6: includeIPv6,
            client: client, now: { .now })
    }

    /// With a clock for the TTLs and a resolution delay that a test controls.
    package init(
        url: URL, bootstrapAddresses: [String], method: Method, includeIPv6: Bool, client: HTTPClient,
        resolutionDelay: Duration = DNSOverHTTPSResolver.defaultResolutionDelay,
        now: @escaping @Sendable () -> ContinuousClock.Instant
    ) {
        self.url = url
        self.resolutionDelay = resolutionDelay
        self.method = method
        self.includeIPv6 = includeIPv6
        // The host as lookups ask for it: the wire form (IDNA, lower case) of ``URLHost``.
        let host = URLHost.canonical(of: url) ?? ""
        self.client = client.with { configuration in
            configuration.dnsResolver = BootstrapResolver(
                host: host, addresses: bootstrapAddresses, fallback: configuration.dnsResolver)
        }
        self.cache = DNSAnswerCache(now: now)
    }

    public func resolve(host: String, port: Int) async throws -> [ResolvedAddress] {
        if SocketAddress(numericHost: host, port: port) != nil {
            return [ResolvedAddress(ip: host, port: port)]
        }
        if let addresses = cache.addresses(of: host) {
            return addresses.map { ResolvedAddress(ip: $0, port: port) }
        }
        let families: [DNSMessage.RecordType] = includeIPv6 ? [.aaaa, .a] : [.a]
        let results = try await answers(for: host, families: families)
        var addresses: [String] = []
        var ttl: UInt32?
        var failure: HTTPClientError?
        for family in families {
            switch results[family] {
            case .success(let answer):
                addresses += answer.addresses
                if let seconds = answer.ttl { ttl = min(ttl ?? seconds, seconds) }
            case .failure(let error):
                failure = failure ?? error
            case nil:
                break
            }
        }
        guard !addresses.isEmpty else {
            throw failure
                ?? HTTPClientError(.dnsFailure, "DNS over HTTPS (\(url.absoluteString)) found no address for \(host).")
        }
        // Only a whole answer is kept: with one family failed or cut short by the resolution
        // delay, the next lookup asks again rather than going without it for a TTL.
        if results.count == families.count, failure == nil { cache.store(addresses, for: host, ttl: ttl ?? 0) }
        return addresses.map { ResolvedAddress(ip: $0, port: port) }
    }

    /// RFC 8305 §3's resolution delay: how long a useful A answer waits for the AAAA one before
    /// the lookup goes on without it ("SHOULD NOT wait for both families"; 50 ms recommended).
    package static let defaultResolutionDelay: Duration = .milliseconds(50)

    /// The answers of the queries for `families`, asked at once: all of them, or, once the A
    /// query has found addresses, those that came within the resolution delay after it.
    private func answers(
        for host: String, families: [DNSMessage.RecordType]
    ) async throws -> [DNSMessage.RecordType: Result<DNSMessage.Answer, HTTPClientError>] {
        try await withThrowingTaskGroup(
            of: (DNSMessage.RecordType, Result<DNSMessage.Answer, HTTPClientError>)?.self
        ) { group in
            for family in families { group.addTask { (family, try await self.lookUp(host, family)) } }
            var results: [DNSMessage.RecordType: Result<DNSMessage.Answer, HTTPClientError>] = [:]
            while results.count < families.count, let next = try await group.next() {
                guard let (family, result) = next else { break }
                results[family] = result
                if family == .a, results.count < families.count, case .success(let answer) = result,
                    !answer.addresses.isEmpty
                {
                    let delay = resolutionDelay
                    group.addTask {
                        try await Task.sleep(for: delay)
                        return nil
                    }
                }
            }
            group.cancelAll()
            return results
        }
    }

    /// One query and its answer; a failure of any kind is `.dnsFailure` saying why, so that one
    /// family failing leaves the other's answer usable. Cancellation is thrown as it is.
    private func lookUp(
        _ host: String, _ type: DNSMessage.RecordType
    ) async throws -> Result<
        DNSMessage.Answer, HTTPClientError
    > {
        func failure(_ why: String) -> HTTPClientError {
            HTTPClientError(.dnsFailure, "DNS over HTTPS (\(url.absoluteString)) could not resolve \(host): \(why).")
        }
        let message: [UInt8]
        do {
            message = try DNSMessage.query(for: host, type: type)
        } catch {
            return .failure(failure("\(error)"))
        }
        let response: HTTPResponse
        let body: [UInt8]
        do {
            response = try await client.send(request(for: message))
            body = try await response.body.collect(upTo: 65_535)
        } catch let error as HTTPClientError {
            return .failure(failure(error.message))
        }
        guard response.status.code == 200 else {
            return .failure(failure("the server answered \(response.status.code)"))
        }
        if let contentType = response.headers["Content-Type"],
            !contentType.lowercased().hasPrefix("application/dns-message")
        {
            return .failure(failure("the answer is \(contentType), not application/dns-message"))
        }
        do {
            var answer = try DNSMessage.answer(body, for: host, type: type)
            // RFC 8484 §5.1: an answer an HTTP cache kept for a while has lived that much of its TTL.
            if let age = response.headers["Age"].flatMap(UInt32.init), let ttl = answer.ttl {
                answer.ttl = ttl > age ? ttl - age : 0
            }
            return .success(answer)
        } catch .rcode(3) {
            return .failure(failure("no such name (NXDOMAIN)"))
        } catch .rcode(let code) {
            return .failure(failure("the server answered with RCODE \(code)"))
        } catch .malformed(let why) {
            return .failure(failure("the answer is malformed: \(why)"))
        }
    }

    private func request(for message: [UInt8]) -> HTTPRequest {
        switch method {
        case .get:
            let parameter = "dns=" + Base64.urlEncoded(message)
            let separator = url.query(percentEncoded: true) == nil ? "?" : "&"
            var request = HTTPRequest(url: URL(string: url.absoluteString + separator + parameter)!)
            request.headers["Accept"] = "application/dns-message"
            return request
        case .post:
            return HTTPRequest(
                method: .post, url: url,
                headers: ["Accept": "application/dns-message", "Content-Type": "application/dns-message"],
                body: .bytes(message))
        }
    }
}
