import CourierCore
import CourierHTTP2

/// A request's header list as HTTP/2 carries it (RFC 9113 §8.3.1), checked and turned into the
/// shape HTTP/1.1 recordings have, so that tests read both alike.
///
/// The pseudo-header fields go: `:method` becomes the method, `:path` the target, `:authority`
/// a `Host` field (first, unless the client sent one); several `cookie` fields are joined with
/// "; " (§8.2.3). A list that breaks the rules is malformed (§8.1.1): the stream is reset.
///
/// An extended CONNECT (RFC 8441 §4) names a protocol in `:protocol`, allowed only with CONNECT
/// and only when the server enabled it in its SETTINGS.
struct HTTP2RequestHead {
    let method: HTTPMethod
    let target: String
    /// The `:protocol` of an extended CONNECT: the stream then carries that protocol.
    let connectProtocol: String?
    /// The regular fields; trailers the client sends are added at the end.
    var headers: HTTPHeaders

    /// The head, or nil when the list is malformed. `allowsProtocol`: the server sent
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL, so `:protocol` may appear.
    init?(_ fields: HTTPHeaders, allowsProtocol: Bool) {
        var pseudo: [String: String] = [:]
        var headers = HTTPHeaders()
        var cookies: [String] = []
        for field in fields {
            guard !field.name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
            if field.name.hasPrefix(":") {
                let known =
                    [":method", ":scheme", ":authority", ":path"].contains(field.name)
                    || (allowsProtocol && field.name == ":protocol")
                guard known, headers.isEmpty, cookies.isEmpty, pseudo[field.name] == nil else { return nil }
                pseudo[field.name] = field.value
                continue
            }
            guard !HTTP2Fields.isConnectionSpecific(field.name) else { return nil }
            guard field.name != "te" || field.value == "trailers" else { return nil }
            if field.name == "cookie" {
                cookies.append(field.value)
            } else {
                headers.add(field.name, field.value)
            }
        }
        guard let method = pseudo[":method"], let path = pseudo[":path"], !path.isEmpty, pseudo[":scheme"] != nil
        else { return nil }
        guard pseudo[":protocol"] == nil || method == "CONNECT" else { return nil }
        if !cookies.isEmpty { headers.add("cookie", cookies.joined(separator: "; ")) }
        if let authority = pseudo[":authority"], !headers.contains("Host") {
            headers = HTTPHeaders([("Host", authority)] + headers.fields.map { ($0.name, $0.value) })
        }
        self.method = HTTPMethod(rawValue: method)
        self.target = path
        self.connectProtocol = pseudo[":protocol"]
        self.headers = headers
    }
}
