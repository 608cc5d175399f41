import CourierCore
import FoundationEssentials

/// The cache stage's exchanges with the network: validations, background revalidations, and
/// network responses on their way to the caller and the store.
extension CacheInterceptor {
    /// Sends `request` with the stored validators; a 304 refreshes the stored head and serves the
    /// stored body (a 304 naming another representation sends the request again without
    /// conditions), anything else replaces the entry (or, under `stale-if-error`, a failure
    /// serves the stale response).
    func validate(
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
            guard CachePolicy.notModifiedRefreshes(stored, with: networkResponse.headers) else {
                // A 304 for another representation says nothing of the stored one: ask again,
                // without conditions.
                await snapshot.close()
                chain.call.emit { $0.cacheMiss($1) }
                var response = try await network(request, key: key, chain: chain, requestTime: responseTime)
                response.cacheResponse = cachedHead
                return response
            }
            let refreshed = await refresh(
                stored, validated: snapshot.metadata, with: networkResponse, key: key, requestTime: requestTime,
                responseTime: responseTime)
            cache.countHit()
            let age = CachePolicy.ageField(Freshness.currentAge(refreshed, now: responseTime))
            var response = await hit(refreshed, snapshot: snapshot, request: request, age: age, validated: true)
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
        var response = await written(
            networkResponse, request: request, key: key, requestTime: requestTime, responseTime: responseTime)
        response.cacheResponse = cachedHead
        return response
    }

    /// The background half of `stale-while-revalidate`: asks the origin as ``validate`` does and
    /// stores what it answers, reading a new body to its end so that it is committed. Failures
    /// leave the stored response as it was.
    func revalidate(
        _ request: HTTPRequest, conditions: HTTPHeaders, stored: CachedResponseHead, validated: [UInt8], key: String,
        chain: Chain
    ) async {
        var conditional = request
        for field in conditions { conditional.headers[field.name] = field.value }
        let requestTime = cache.clock.now()
        cache.countNetwork()
        guard let networkResponse = try? await chain.proceed(conditional) else { return }
        let responseTime = cache.clock.now()
        await chain.call.settings.receivedInBackground?(networkResponse)
        if networkResponse.status.code == 304 {
            await networkResponse.body.source?.abandon()
            // One for another representation leaves the stored response stale, to be validated
            // in the foreground next time.
            guard CachePolicy.notModifiedRefreshes(stored, with: networkResponse.headers) else { return }
            await refresh(
                stored, validated: validated, with: networkResponse, key: key, requestTime: requestTime,
                responseTime: responseTime)
            return
        }
        let response = await written(
            networkResponse, request: request, key: key, requestTime: requestTime, responseTime: responseTime)
        do {
            for try await _ in response.body {}
        } catch {
            await response.body.source?.abandon()
        }
    }

    /// Writes `stored` with the fields of `notModified` merged in and the new exchange's times,
    /// keeping the stored body, and returns the refreshed head. Only while the store still holds
    /// the entry that was validated (its metadata `validated`): the edit excludes other writers,
    /// so a response another call stored meanwhile is never given this head over its body.
    @discardableResult
    func refresh(
        _ stored: CachedResponseHead, validated: [UInt8], with notModified: HTTPResponse, key: String,
        requestTime: Date, responseTime: Date
    ) async -> CachedResponseHead {
        var refreshed = stored
        refreshed.headers = StoredFields.merged(stored: stored.headers, notModified: notModified.headers)
        refreshed.requestTime = requestTime
        refreshed.responseTime = responseTime
        guard let editor = try? await cache.store.edit(key) else { return refreshed }
        do {
            let current = try await cache.store.snapshot(for: key)
            let unchanged = current?.metadata == validated
            await current?.close()
            guard unchanged else {
                await editor.abort()
                return refreshed
            }
            try await editor.writeMetadata(CachedResponseHeadCoding.encode(refreshed))
            try await editor.commit()
        } catch {
            await editor.abort()
        }
        return refreshed
    }

    func network(
        _ request: HTTPRequest, key: String, chain: Chain, requestTime: Date
    ) async throws -> HTTPResponse {
        cache.countNetwork()
        let networkResponse = try await chain.proceed(request)
        return await written(
            networkResponse, request: request, key: key, requestTime: requestTime, responseTime: cache.clock.now())
    }

    /// `networkResponse` on its way to the caller: invalidates what an unsafe method changed, and
    /// starts writing the response to the store when it may be reused.
    func written(
        _ networkResponse: HTTPResponse, request: HTTPRequest, key: String, requestTime: Date, responseTime: Date
    ) async -> HTTPResponse {
        var response = networkResponse
        response.networkResponse = networkResponse.withoutBody
        for url in CachePolicy.invalidatedURLs(
            request: request, status: networkResponse.status, headers: networkResponse.headers)
        {
            try? await cache.store.remove(cache.key(for: url))
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
                // Even when empty: an edit that appends nothing keeps the stored body (how a 304
                // refreshes a head), and this response's body is its own, empty or not.
                try await editor.appendBody(buffer.array)
                try await editor.commit()
            }
        } catch {
            await editor.abort()
        }
        return response
    }
}
