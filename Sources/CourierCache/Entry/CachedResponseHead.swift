package import CourierCore
package import FoundationEssentials

/// What the cache keeps of a response besides its body: the head as it came from the network,
/// the request fields its `Vary` names, and the two instants the age arithmetic of RFC 9111
/// §4.2.3 needs. Stored as the entry's metadata (see ``CachedResponseHeadCoding``).
///
/// Every lookup consults its `Cache-Control`, its freshness lifetime and its age at arrival,
/// and parsing them took a sixth of a fresh hit's CPU: they are worked out once, whenever a
/// field they depend on is set.
package struct CachedResponseHead: Sendable, Equatable {
    /// The URL the response answered, to tell two URLs whose keys collide apart.
    package var url: String
    package var method: HTTPMethod
    package var status: HTTPStatus { didSet { derive() } }
    package var version: HTTPVersion
    package var headers: HTTPHeaders { didSet { derive() } }
    /// The request's values of the fields the response's `Vary` names, absent ones left out.
    package var varyingRequestHeaders: HTTPHeaders
    /// When the request that produced the response was sent (`request_time`).
    package var requestTime: Date { didSet { derive() } }
    /// When its head arrived (`response_time`).
    package var responseTime: Date { didSet { derive() } }
    /// The handshake of the connection the response arrived on, so an HTTPS hit reports it.
    package var tlsHandshake: TLSHandshake?
    /// The response's `Cache-Control`.
    package private(set) var control = CacheControl()
    /// `freshness_lifetime` (RFC 9111 §4.2.1), in seconds.
    package private(set) var lifetime: Double = 0
    /// `corrected_initial_age` (§4.2.3): its age when it arrived, in seconds.
    package private(set) var initialAge: Double = 0

    package init(
        url: String,
        method: HTTPMethod,
        status: HTTPStatus,
        version: HTTPVersion,
        headers: HTTPHeaders,
        varyingRequestHeaders: HTTPHeaders,
        requestTime: Date,
        responseTime: Date,
        tlsHandshake: TLSHandshake?
    ) {
        self.url = url
        self.method = method
        self.status = status
        self.version = version
        self.headers = headers
        self.varyingRequestHeaders = varyingRequestHeaders
        self.requestTime = requestTime
        self.responseTime = responseTime
        self.tlsHandshake = tlsHandshake
        derive()
    }

    private mutating func derive() {
        control = CacheControl(headers)
        lifetime = Freshness.lifetime(self)
        initialAge = Freshness.initialAge(self)
    }

    /// The head of `response` to `request` (the request as it went below the cache, so the
    /// fields `Vary` names are those the server saw).
    package init(response: HTTPResponse, request: HTTPRequest, requestTime: Date, responseTime: Date) {
        var varying = HTTPHeaders()
        for name in Vary.fieldNames(response.headers) {
            for value in request.headers.values(for: name) { varying.add(name, value) }
        }
        self.init(
            url: request.url.absoluteString,
            method: request.method,
            status: response.status,
            version: response.version,
            headers: StoredFields.storable(response.headers),
            varyingRequestHeaders: varying,
            requestTime: requestTime,
            responseTime: responseTime,
            tlsHandshake: response.tlsHandshake
        )
    }
}
