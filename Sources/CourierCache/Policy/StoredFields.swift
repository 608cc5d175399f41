package import CourierCore

/// Which header fields a cache keeps (RFC 9111 §3.1) and how a 304 refreshes them (§3.2).
package enum StoredFields {
    /// Connection-specific fields describe one hop, not the response: never stored.
    private static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authentication-info", "proxy-authorization", "trailer",
    ]

    /// `headers` without the connection-specific fields and those `Connection` names.
    package static func storable(_ headers: HTTPHeaders) -> HTTPHeaders {
        let named = Set(
            headers.values(for: "Connection").flatMap { $0.split(separator: ",") }
                .map { $0.trimmingCharacters(in: " \t").lowercased() })
        var kept = HTTPHeaders()
        kept.reserveCapacity(headers.count)
        for field in headers {
            let name = field.name.lowercased()
            if !hopByHop.contains(name) && !named.contains(name) { kept.add(field.name, field.value) }
        }
        return kept
    }

    /// The stored fields updated by a 304's (§3.2): each field the 304 carries replaces the
    /// stored fields of that name, except connection-specific ones and `Content-Length`, which
    /// describes the stored body and not the empty 304. The stored `Age` goes whatever the 304
    /// says: it counted the time in caches before the first response arrived, and the age of a
    /// validated response starts again from the 304 (§5.1, §4.2.3), which may carry its own.
    package static func merged(stored: HTTPHeaders, notModified: HTTPHeaders) -> HTTPHeaders {
        let update = storable(notModified)
        var replaced: Set<String> = ["age"]
        for field in update where !field.name.equalsIgnoringASCIICase("Content-Length") {
            replaced.insert(field.name.lowercased())
        }
        var result = HTTPHeaders()
        for field in stored where !replaced.contains(field.name.lowercased()) {
            result.add(field.name, field.value)
        }
        for field in update where replaced.contains(field.name.lowercased()) {
            result.add(field.name, field.value)
        }
        return result
    }

    /// The stored fields a 304 made by the cache carries: those RFC 9110 §15.4.5 lists for a 304
    /// and the validators, not the ones describing a body it does not have.
    package static func notModifiedFields(of stored: HTTPHeaders) -> HTTPHeaders {
        let kept: Set<String> = [
            "cache-control", "content-location", "date", "etag", "expires", "vary", "last-modified",
        ]
        var result = HTTPHeaders()
        for field in stored where kept.contains(field.name.lowercased()) { result.add(field.name, field.value) }
        return result
    }
}
