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
        let key = CacheKey.key(for: request.url)
        var snapshot: (any CacheSnapshot)?
        var stored: CachedResponseHead?
        if CachePolicy.readsCache(for: request.method), let found = try? await cache.store.snapshot(for: key) {
            if let head = try? CachedResponseHeadCoding.decode(found.metadata) {
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
            let background = chain.detached(request: request)
            cache.inBackground {
                await revalidate(request, conditions: conditions, stored: stored, key: key, chain: background)
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

    /// Sends `request` with the stored validators; a 304 refreshes the stored head and serves the
    /// stored body, anything else replaces the entry (or, under `stale-if-error`, a failure
    /// serves the stale response).
    private func validate(
        _ request: HTTPRequest, conditions: HTTPHeaders, stored: CachedResponseHead, snapshot: any CacheSnapshot,
        key: String, chain: Chain, requestTime: Date
    ) async throws -> HTTPResponse {
        let cachedHead = response(from: stored, request: request)
        if !conditions.isEmpty { chain.call.emit { $0.cacheConditionalHit($1, cachedResponse: cachedHead) } }
        var conditional = request
        for field in conditions { conditional.headers[field.name] = field.value }
        cache.countNetwork()
        let networkResponse: HTTPResponse
        do {
            networkResponse = try await chain.proceed(conditional)
        } catch {
            guard !(error is CancellationError),
                CachePolicy.mayServeStaleOnError(request: request, stored: stored, now: cache.clock.now())
            else {
                await snapshot.close()
                throw error
            }
            return await staleOnError(stored, snapshot: snapshot, request: request, chain: chain)
        }
        let responseTime = cache.clock.now()
        if networkResponse.status.code == 304 {
            await networkResponse.body.source?.abandon()
            let refreshed = await refresh(
                stored, with: networkResponse, key: key, requestTime: requestTime, responseTime: responseTime)
            cache.countHit()
            let age = CachePolicy.ageField(Freshness.currentAge(refreshed, now: responseTime))
            var response = await hit(refreshed, snapshot: snapshot, request: request, age: age)
            response.cacheResponse = cachedHead
            response.networkResponse = networkResponse.withoutBody
            chain.call.emit { $0.cacheHit($1, response: response) }
            return response
        }
        if (500..<600).contains(networkResponse.status.code),
            CachePolicy.mayServeStaleOnError(request: request, stored: stored, now: responseTime)
        {
            await networkResponse.body.source?.abandon()
            return await staleOnError(stored, snapshot: snapshot, request: request, chain: chain)
        }
        await snapshot.close()
        chain.call.emit { $0.cacheMiss($1) }
        var response = try await written(
            networkResponse, request: request, key: key, requestTime: requestTime, responseTime: responseTime)
        response.cacheResponse = cachedHead
        return response
    }

    /// The background half of `stale-while-revalidate`: asks the origin as ``validate`` does and
    /// stores what it answers, reading a new body to its end so that it is committed. Failures
    /// leave the stored response as it was.
    private func revalidate(
        _ request: HTTPRequest, conditions: HTTPHeaders, stored: CachedResponseHead, key: String, chain: Chain
    ) async {
        var conditional = request
        for field in conditions { conditional.headers[field.name] = field.value }
        let requestTime = cache.clock.now()
        cache.countNetwork()
        guard let networkResponse = try? await chain.proceed(conditional) else { return }
        let responseTime = cache.clock.now()
        if networkResponse.status.code == 304 {
            await networkResponse.body.source?.abandon()
            await refresh(stored, with: networkResponse, key: key, requestTime: requestTime, responseTime: responseTime)
            return
        }
        guard
            let response = try? await written(
                networkResponse, request: request, key: key, requestTime: requestTime, responseTime: responseTime)
        else { return }
        do {
            for try await _ in response.body {}
        } catch {
            await response.body.source?.abandon()
        }
    }

    /// Writes `stored` with the fields of `notModified` merged in and the new exchange's times,
    /// keeping the stored body; returns the refreshed head.
    @discardableResult
    private func refresh(
        _ stored: CachedResponseHead, with notModified: HTTPResponse, key: String, requestTime: Date,
        responseTime: Date
    ) async -> CachedResponseHead {
        var refreshed = stored
        refreshed.headers = StoredFields.merged(stored: stored.headers, notModified: notModified.headers)
        refreshed.requestTime = requestTime
        refreshed.responseTime = responseTime
        if let editor = try? await cache.store.edit(key) {
            do {
                try await editor.writeMetadata(CachedResponseHeadCoding.encode(refreshed))
                try await editor.commit()
            } catch {
                await editor.abort()
            }
        }
        return refreshed
    }

    private func network(
        _ request: HTTPRequest, key: String, chain: Chain, requestTime: Date
    ) async throws -> HTTPResponse {
        cache.countNetwork()
        let networkResponse = try await chain.proceed(request)
        return try await written(
            networkResponse, request: request, key: key, requestTime: requestTime, responseTime: cache.clock.now())
    }

    /// `networkResponse` on its way to the caller: invalidates what an unsafe method changed, and
    /// starts writing the response to the store when it may be reused.
    private func written(
        _ networkResponse: HTTPResponse, request: HTTPRequest, key: String, requestTime: Date, responseTime: Date
    ) async throws -> HTTPResponse {
        var response = networkResponse
        response.networkResponse = networkResponse.withoutBody
        for url in CachePolicy.invalidatedURLs(
            request: request, status: networkResponse.status, headers: networkResponse.headers)
        {
            try? await cache.store.remove(CacheKey.key(for: url))
        }
        guard CachePolicy.isStorable(request: request, status: networkResponse.status, headers: networkResponse.headers)
        else { return response }
        let limit = cache.store.maxSize
        if let length = networkResponse.headers["Content-Length"].flatMap(Int.init), length > limit { return response }
        guard let editor = try? await cache.store.edit(key) else { return response }
        let head = CachedResponseHead(
            response: networkResponse, request: request, requestTime: requestTime, responseTime: responseTime)
        do {
            try await editor.writeMetadata(CachedResponseHeadCoding.encode(head))
            switch networkResponse.body.content {
            case .source(let source):
                response.body = HTTPResponse.Body(source: CacheWritingBody(inner: source, editor: editor, limit: limit))
            case .buffer(let buffer):
                guard buffer.count <= limit else {
                    await editor.abort()
                    return response
                }
                if !buffer.isEmpty { try await editor.appendBody(buffer.array) }
                try await editor.commit()
            }
        } catch {
            await editor.abort()
        }
        return response
    }

    /// The stored response as the caller receives it: its head with an `Age`, its body streamed
    /// from the snapshot.
    private func hit(
        _ stored: CachedResponseHead, snapshot: any CacheSnapshot, request: HTTPRequest, age: Int
    ) async -> HTTPResponse {
        var response = response(from: stored, request: request)
        response.cacheResponse = response
        response.headers["Age"] = String(age)
        if snapshot.bodySize > 0 {
            response.body = HTTPResponse.Body(source: CachedBody(snapshot: snapshot))
        } else {
            await snapshot.close()
        }
        return response
    }

    /// The stale response standing in for an origin that failed, as `stale-if-error` allows.
    private func staleOnError(
        _ stored: CachedResponseHead, snapshot: any CacheSnapshot, request: HTTPRequest, chain: Chain
    ) async -> HTTPResponse {
        cache.countHit()
        let age = CachePolicy.ageField(Freshness.currentAge(stored, now: cache.clock.now()))
        let response = await hit(stored, snapshot: snapshot, request: request, age: age)
        chain.call.emit { $0.cacheHit($1, response: response) }
        return response
    }

    private func response(from stored: CachedResponseHead, request: HTTPRequest) -> HTTPResponse {
        var response = HTTPResponse(
            status: stored.status, headers: stored.headers, version: stored.version, request: request)
        response.tlsHandshake = stored.tlsHandshake
        return response
    }
}
