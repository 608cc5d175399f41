package import CourierCore
import FoundationEssentials

/// The cache's stage of the chain, between the bridge and connect (DESIGN.md): it sees the
/// request with the client's headers (so `Vary: Accept-Encoding` compares what was sent) and the
/// response before decompression (so the store keeps what the network sent, and the bridge
/// decodes hits and misses alike on the way out).
///
/// It asks ``CachePolicy`` what to do and does it: answers from the store, sends a conditional
/// request and merges a 304 into the stored head, or sends the request and writes a reusable
/// response through to the store while the caller streams it. A store that fails is a miss,
/// never a failed call.
package struct CacheInterceptor: Interceptor {
    let cache: HTTPCache

    package init(cache: HTTPCache) {
        self.cache = cache
    }

    package func intercept(_ request: HTTPRequest, chain: Chain) async throws -> HTTPResponse {
        cache.countRequest()
        let key = cache.key(for: request.url)
        var snapshot: (any CacheSnapshot)?
        var stored: CachedResponseHead?
        if CachePolicy.readsCache(for: request.method), let found = try? await cache.store.snapshot(for: key) {
            if let head = try? cache.head(for: key, metadata: found.metadata), CacheInterceptor.isWhole(head, found) {
                snapshot = found
                stored = head
            } else {
                await found.close()
            }
        }
        let now = cache.clock.now()
        switch CachePolicy.decide(request: request, stored: stored, now: now) {
        case .useStored(let age, _):
            guard let stored, let snapshot else { preconditionFailure("the policy serves only what it was given") }
            cache.countHit()
            let response = await hit(stored, snapshot: snapshot, request: request, age: age)
            chain.call.emit { $0.cacheHit($1, response: response) }
            return response
        case .useStoredAndRevalidate(let age, let conditions):
            guard let stored, let snapshot else { preconditionFailure("the policy serves only what it was given") }
            cache.countHit()
            let response = await hit(stored, snapshot: snapshot, request: request, age: age)
            chain.call.emit { $0.cacheHit($1, response: response) }
            // The background request asks for the whole response, which can refresh or replace
            // the stored one; a 206 could do neither.
            let whole = CacheInterceptor.withoutRange(request)
            let background = chain.detached(request: whole)
            cache.inBackground {
                await revalidate(
                    whole, conditions: conditions, stored: stored, validated: snapshot.metadata, key: key,
                    chain: background)
            }
            return response
        case .notModified(let age):
            guard let stored, let snapshot else {
                preconditionFailure("the policy answers only from what it was given")
            }
            await snapshot.close()
            cache.countHit()
            var response = response(from: stored, request: request)
            response.cacheResponse = response
            response.status = .notModified
            response.headers = StoredFields.notModifiedFields(of: stored.headers)
            response.headers["Age"] = String(age)
            chain.call.emit { $0.cacheHit($1, response: response) }
            return response
        case .unsatisfiable:
            await snapshot?.close()
            let response = HTTPResponse(
                status: HTTPStatus(code: 504, reasonPhrase: "Unsatisfiable Request (only-if-cached)"),
                request: request)
            chain.call.emit { $0.satisfactionFailure($1, response: response) }
            return response
        case .network:
            await snapshot?.close()
            chain.call.emit { $0.cacheMiss($1) }
            return try await network(request, key: key, chain: chain, requestTime: now)
        case .validate(let conditions):
            guard let stored, let snapshot else { preconditionFailure("the policy validates only what it was given") }
            return try await validate(
                request, conditions: conditions, stored: stored, snapshot: snapshot, key: key, chain: chain,
                requestTime: now)
        }
    }

    /// The stored response as the caller receives it: its head with an `Age`, its body streamed
    /// from the snapshot, or the part of it the request's `Range` asks for (``RangeAnswer``).
    ///
    /// Unless the origin has just `validated` it, the fields a qualified `no-cache="…"` names
    /// are left out (RFC 9111 §5.2.2.4).
    func hit(
        _ stored: CachedResponseHead, snapshot: any CacheSnapshot, request: HTTPRequest, age: Int,
        validated: Bool = false
    ) async -> HTTPResponse {
        var response = response(from: stored, request: request)
        response.cacheResponse = response
        if !validated {
            for name in stored.control.noCacheFields { response.headers.remove(name) }
        }
        response.headers["Age"] = String(age)
        let size = snapshot.bodySize
        switch RangeAnswer(request: request, stored: stored, bodySize: size) {
        case .whole:
            if size > 0 {
                response.body = HTTPResponse.Body(source: CachedBody(snapshot: snapshot))
            } else {
                await snapshot.close()
            }
        case .partial(let bytes):
            // RFC 9110 §15.3.7: the stored fields, with the part's Content-Range and length.
            response.status = HTTPStatus(code: 206)
            response.headers["Content-Range"] = "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(size)"
            response.headers["Content-Length"] = String(bytes.count)
            response.body = HTTPResponse.Body(source: CachedBody(snapshot: snapshot, bytes: bytes))
        case .notSatisfiable:
            // RFC 9110 §15.5.17: the current length in Content-Range, no content; the fields
            // kept are those of the cache's own 304 (validators, dates, caching).
            await snapshot.close()
            response.status = HTTPStatus(code: 416, reasonPhrase: "Range Not Satisfiable")
            response.headers = StoredFields.notModifiedFields(of: response.headers)
            response.headers["Content-Range"] = "bytes */\(size)"
            response.headers["Content-Length"] = "0"
            response.headers["Age"] = String(age)
        }
        return response
    }

    /// The stale response standing in for an origin that failed, as `stale-if-error` allows.
    func staleOnError(
        _ stored: CachedResponseHead, snapshot: any CacheSnapshot, request: HTTPRequest, chain: Chain
    ) async -> HTTPResponse {
        cache.countHit()
        let age = CachePolicy.ageField(Freshness.currentAge(stored, now: cache.clock.now()))
        let response = await hit(stored, snapshot: snapshot, request: request, age: age)
        chain.call.emit { $0.cacheHit($1, response: response) }
        return response
    }

    func response(from stored: CachedResponseHead, request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse(
            status: stored.status, headers: stored.headers, version: stored.version, request: request)
        response.tlsHandshake = stored.tlsHandshake
        return response
    }

    /// `request` without `Range` and `If-Range`: a request for the whole response.
    static func withoutRange(_ request: HTTPRequest) -> HTTPRequest {
        var whole = request
        whole.headers.remove("Range")
        whole.headers.remove("If-Range")
        return whole
    }

    /// Whether the snapshot's body is as long as the stored head's `Content-Length` says, when it
    /// says: an entry that disagrees (a store that lost its body) is a miss, not a short body.
    static func isWhole(_ head: CachedResponseHead, _ snapshot: any CacheSnapshot) -> Bool {
        guard let length = head.headers["Content-Length"].flatMap({ Int($0) }) else { return true }
        return length == snapshot.bodySize
    }
}
