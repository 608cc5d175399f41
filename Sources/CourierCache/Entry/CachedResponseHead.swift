package import CourierCore
package import FoundationEssentials

/// What the cache keeps of a response besides its body: the head as it came from the network,
/// the request fields its `Vary` names, and the two instants the age arithmetic of RFC 9111
/// §4.2.3 needs. Stored as the entry's metadata (see ``CachedResponseHeadCoding``).
package struct CachedResponseHead: Sendable, Equatable {
    /// The URL the response answered, to tell two URLs whose keys collide apart.
    package var url: String
    package var method: HTTPMethod
    package var status: HTTPStatus
    package var version: HTTPVersion
    package var headers: HTTPHeaders
    /// The request's values of the fields the response's `Vary` names, absent ones left out.
    package var varyingRequestHeaders: HTTPHeaders
    /// When the request that produced the response was sent (`request_time`).
    package var requestTime: Date
    /// When its head arrived (`response_time`).
    package var responseTime: Date
    /// The handshake of the connection the response arrived on, so an HTTPS hit reports it.
    package var tlsHandshake: TLSHandshake?

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
